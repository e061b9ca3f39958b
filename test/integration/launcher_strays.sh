#!/usr/bin/env bash
# The launcher never leaves strays, and can go on where it stopped: SIGHUP (a closed terminal, a
# dropped ssh session) stops the swarm as SIGTERM does; a launcher killed outright takes its
# programs with it (they end when their standard input closes); --resume keeps what every peer
# holds and finishes the run.
source "$(dirname "$0")/lib.sh"
: "${SWARM_BIN:?}"

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"
# Slow enough to stop in the middle: 60 chunks at 1.5 MB/s from the owner and each peer.
sed -i 's/"idle_exit_s": 6 }/"idle_exit_s": 6, "max_upload_rate": 1500000 }/' ring.json
grep -q max_upload_rate ring.json || fail "could not cap the rates in ring.json"
make_file input.bin $((102400 * 60))

# launch NAME: the launcher in the background, on WORK/NAME; sets LAUNCHER (its PID).
launch() {
    "$SWARM_BIN" --config ring.json --file input.bin --work "$WORK/$1" --together --display plain \
        --interval 0.5 "${@:2}" > "$1.out" 2>&1 &
    LAUNCHER=$!
    STARTED_PIDS+=("$LAUNCHER")
}
# programs_of PID: the launcher's children (owner and peers), once all six run.
programs_of() {
    local pids _
    for _ in $(seq 200); do
        pids=$(cat "/proc/$1/task/$1/children" 2>/dev/null || true)
        [[ $(wc -w <<< "$pids") -ge 6 ]] && { echo "$pids"; return; }
        sleep 0.1
    done
    fail "the launcher $1 did not start six programs within 20 s: $pids"
}
# all_gone PID...: each ends within 20 s.
all_gone() {
    local pid _
    for pid in "$@"; do
        for _ in $(seq 200); do
            kill -0 "$pid" 2>/dev/null || continue 2
            sleep 0.1
        done
        fail "process $pid outlived its launcher by 20 s: $(tr '\0' ' ' < "/proc/$pid/cmdline")"
    done
}

# 1. SIGHUP in the middle of the run.
launch hup
programs=$(programs_of "$LAUNCHER")
wait_for_event "$WORK/hup/logs/peer-3.events.jsonl" 30 chunk_received > /dev/null
kill -HUP "$LAUNCHER"
status=0
wait "$LAUNCHER" || status=$?
((status == 129)) || { cat hup.out; fail "SIGHUP gave exit $status, not 129"; }
grep -q "SIGHUP received; stopping every process" hup.out || { cat hup.out; fail "the stop is not announced"; }
grep -q "the same command with --resume goes on from there" hup.out || { cat hup.out; fail "no word on resuming"; }
# shellcheck disable=SC2086
all_gone $programs
echo "ok: SIGHUP stops every program, exit 129"

# 2. --resume goes on with what the peers hold, and ends with every copy verified.
held_before=$("$EVENTS_PYTHON" - "$WORK"/hup/logs/peer-{1..5}.events.jsonl <<'EOF'
import json, sys
total = 0
for path in sys.argv[1:]:
    counts = [json.loads(line).get("held", 0) for line in open(path) if '"chunk_received"' in line]
    total += max(counts, default=0)
print(total)
EOF
)
((held_before > 0)) || fail "the stopped run left no chunks to resume from"
((held_before < 300)) || { echo "skipped: the run finished before the stop (held $held_before of 300)"; exit 77; }
launch hup --resume
wait "$LAUNCHER" || { cat hup.out; fail "the resumed run failed"; }
[[ $(grep -c "OK, SHA-256 matches" hup.out) == 5 ]] || { cat hup.out; fail "not five verified copies after resuming"; }
resumed=$(grep -h '"event":"resumed"' "$WORK"/hup/logs/peer-{1..5}.events.jsonl | "$EVENTS_PYTHON" -c '
import json, sys
print(sum(json.loads(line)["held"] for line in sys.stdin))')
((resumed > 0)) || fail "no peer resumed with the chunks it held (resumed events: $resumed held)"
check_file input.bin "$WORK"/hup/peer-{1..5}/input.bin
echo "ok: --resume kept $resumed verified chunk(s) of the $held_before held at the stop and finished"

# 3. The launcher killed outright: its programs end with it.
launch killed
programs=$(programs_of "$LAUNCHER")
kill -KILL "$LAUNCHER"
wait "$LAUNCHER" 2>/dev/null || true
# shellcheck disable=SC2086
all_gone $programs
echo "ok: a launcher killed with SIGKILL leaves no program behind"
