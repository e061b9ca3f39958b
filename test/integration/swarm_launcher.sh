#!/usr/bin/env bash
# The swarm launcher: a whole run with its report, peers started together, a peer that fails,
# Ctrl-C in the middle, and bad input.
source "$(dirname "$0")/lib.sh"
: "${SWARM_BIN:?}"

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"

# 1. One at a time (the default), a user's file, a report.
make_file "my file.dat" $((102400 * 23 + 77))
timeout 120 "$SWARM_BIN" --config ring.json --file "my file.dat" --work "$WORK/run1" --report "$WORK/report.html" \
    --display plain --interval 0.2 > run1.out 2>&1 || { cat run1.out; fail "swarm exited non-zero on a good run"; }
[[ $(grep -c "OK, SHA-256 matches" run1.out) == 5 ]] || { cat run1.out; fail "not five verified copies in the verdict"; }
grep -q "owner *served every share" run1.out || fail "the owner's verdict is missing"
check_file "my file.dat" "$WORK"/run1/peer-{1..5}/"my file.dat"
check_events "$WORK"/run1/logs/peer-{1..5}.events.jsonl
for log in "$WORK"/run1/logs/*.events.jsonl; do
    python3 -c 'import json, sys; [json.loads(line) for line in open(sys.argv[1])]' "$log" || fail "$log holds a line that is not JSON"
done
(($(event_count "$WORK/run1/logs/peer-3.events.jsonl" chunk_received from=owner) > 0)) ||
    fail "no structured chunk_received event"
# Peers start one at a time: each one's first line comes after the previous one reached the owner.
for id in 2 3 4 5; do
    prev=$(event_time "$WORK/run1/logs/peer-$((id - 1)).events.jsonl" manifest)
    first=$(event_time "$WORK/run1/logs/peer-$id.events.jsonl" '*')
    [[ -n $prev && -n $first ]] || fail "peer $((id - 1)) has no manifest event, or peer $id no line"
    awk -v a="$first" -v b="$prev" 'BEGIN { exit !(a >= b) }' ||
        fail "peer $id started ($first) before peer $((id - 1)) had its manifest ($prev)"
done
echo "ok: one run, five verified copies, logs per process, peers started in order"

# The report holds each peer's series and each link's, as drawn paths.
for label in "peer 1" "peer 2" "peer 3" "peer 4" "peer 5" "owner → peer 1" "peer 5 → peer 1"; do
    grep -q "data-label=\"$label\"[^>]* d=\"M[0-9.]* [0-9.]* L" "$WORK/report.html" || fail "report.html has no drawn series for $label"
done
grep -q "<table>" "$WORK/report.html" || fail "report.html has no summary table"
if grep -Eq '(src|href)="(https?:)?//' "$WORK/report.html"; then fail "report.html refers to something outside itself"; fi
echo "ok: report.html has a drawn series per peer and per link, and a table"

# 2. Every peer at once.
timeout 120 "$SWARM_BIN" --config ring.json --work "$WORK/run2" --sample-size 2M --together --display lines \
    > run2.out 2>&1 || { cat run2.out; fail "swarm --together failed"; }
[[ $(grep -c "OK, SHA-256 matches" run2.out) == 5 ]] || fail "--together: not five verified copies"
check_events "$WORK"/run2/logs/peer-{1..5}.events.jsonl
# --display lines is for people: it shows each activity line's sentence.
for sentence in 'received chunk [0-9]' 'sent chunk [0-9]' 'received chunk ID list' 'sent chunk ID list' \
    'requested chunks \[' 'received request from'; do
    grep -q "$sentence" run2.out || fail "--display lines showed no line like '$sentence'"
done
echo "ok: --together with a generated sample, every activity line shown"

# Stand-in programs: the real owner, and peers that are real except where a test says otherwise.
mkdir -p bin
printf '#!/bin/sh\nexec "%s" "$@"\n' "$OWNER_BIN" > bin/owner
cat > bin/peer <<SCRIPT
#!/bin/sh
case " \$* " in
*" --id \$ODD_PEER "*) [ "\$ODD_MODE" = crash ] && { echo "peer: error: simulated crash" >&2; exit 3; }
                    exec sleep 300 ;;
esac
exec "$PEER_BIN" "\$@"
SCRIPT
chmod +x bin/owner bin/peer

# 3. A peer that fails at once: reported with the tail of its log; the others route around it and
#    finish; the verdict marks it lost; exit 1, as not every peer got the file.
status=0
ODD_PEER=3 ODD_MODE=crash timeout 120 "$SWARM_BIN" --config ring.json --work "$WORK/run3" --bin-dir bin \
    --display plain > run3.out 2>&1 || status=$?
((status == 1)) || { cat run3.out; fail "a failed peer gave exit $status, not 1"; }
grep -q "peer 3 exited with status 3" run3.out || fail "the failure is not named"
grep -q "| peer: error: simulated crash" run3.out || fail "the failed peer's last lines are not shown"
grep -q "the other peers go on without it" run3.out || fail "the launcher did not say the others go on"
[[ $(grep -c "OK, SHA-256 matches" run3.out) == 4 ]] || { cat run3.out; fail "the four others did not finish"; }
grep -q "peer 3 *LOST: no copy" run3.out || { cat run3.out; fail "the verdict does not mark peer 3 lost"; }
echo "ok: a failing peer is reported with its last lines, the others finish, exit 1"

# 3a. --kill: a peer killed early on request (0.1 s after it starts: before or while it takes its
#     share); the others repair the ring and finish.
make_file big.dat $((24 * 1024 * 1024))
status=0
timeout 120 "$SWARM_BIN" --config ring.json --file big.dat --work "$WORK/run3a" --together --kill 2@0.1 \
    --display plain > run3a.out 2>&1 || status=$?
((status == 1)) || { cat run3a.out; fail "--kill: exit $status, not 1"; }
grep -q "killing peer 2 (SIGKILL) 0.1 s after it started" run3a.out || { cat run3a.out; fail "the kill is not announced"; }
[[ $(grep -c "OK, SHA-256 matches" run3a.out) == 4 ]] || { cat run3a.out; fail "--kill: the four others did not finish"; }
grep -q "peer 2 *LOST: .*killed by --kill" run3a.out || { cat run3a.out; fail "the verdict does not mark peer 2 lost"; }
expect_error bad-kill "is not PEER@SECONDS" "$SWARM_BIN" --config ring.json --kill 2 --work run3c
expect_error unknown-kill "peer 9 is not in the config" "$SWARM_BIN" --config ring.json --kill 9@1 --work run3d
echo "ok: --kill 2@0.1 ends peer 2; the others finish; the verdict marks it lost"

# 3b. The owner's port is taken: the owner's own error is shown, nothing hangs.
start squatter python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', ${ports[0]})); s.listen()
print('listening', flush=True); time.sleep(60)"
wait_for_line "$WORK/squatter.log" listening
status=0
timeout 60 "$SWARM_BIN" --config ring.json --work "$WORK/run3b" --display plain > run3b.out 2>&1 || status=$?
kill "${PID_OF[squatter]}"
((status == 1)) || { cat run3b.out; fail "an owner that cannot listen gave exit $status, not 1"; }
grep -q "owner exited with status 1" run3b.out || fail "the owner's failure is not named"
grep -q "| owner: error: cannot listen on 127.0.0.1:${ports[0]}" run3b.out || { cat run3b.out; fail "the owner's error is not shown"; }
echo "ok: an owner that cannot listen is reported with its error; exit 1"

# 4. Ctrl-C while a peer hangs: every process is stopped, and what is left where is said.
ODD_PEER=5 ODD_MODE=hang timeout 120 "$SWARM_BIN" --config ring.json --work "$WORK/run4" --bin-dir bin \
    --sample-size 3M --display plain --interval 0.2 > run4.out 2>&1 &
launcher=$!
STARTED_PIDS+=("$launcher")
for _ in $(seq 100); do
    grep -q "peer 4 [0-9]*/[0-9]* trading" run4.out && break
    sleep 0.1
done
kill -INT "$launcher"
status=0
wait "$launcher" || status=$?
((status == 130)) || { cat run4.out; fail "Ctrl-C gave exit $status, not 130"; }
grep -q "SIGINT received; stopping every process" run4.out || fail "the stop is not announced"
grep -q "peer 1: [0-9]* of 31 chunk(s) in $WORK/run4/peer-1" run4.out || { cat run4.out; fail "what is left where is not said"; }
sleep 0.5
for pid in $(pgrep -f "$WORK/run4" || true); do fail "process $pid of the stopped run is still there"; done
echo "ok: SIGINT stops every process, exit 130, says what is left where"

# 5. Bad input: one clear line and exit 2.
expect_error no-config "--config is required" "$SWARM_BIN"
expect_error missing-config "nope.json" "$SWARM_BIN" --config nope.json
expect_error missing-file "nope.bin does not exist; give --file an existing file or directory" "$SWARM_BIN" --config ring.json --file nope.bin
mkdir -p not-ours && touch not-ours/precious
expect_error not-ours "was not made by swarm" "$SWARM_BIN" --config ring.json --work not-ours
[[ -f not-ours/precious ]] || fail "swarm removed a file it did not make"
expect_error bad-display "--display must be" "$SWARM_BIN" --config ring.json --display fancy --work run5
expect_error bad-size "is not a size" "$SWARM_BIN" --config ring.json --sample-size lots --work run6
echo "ok: bad input is refused with a clear line"
