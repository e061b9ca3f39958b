# Shared harness for the integration tests: real owner and peer processes on 127.0.0.1.
# Every process is started under `timeout`, so none outlives its test; cleanup ends only the
# processes this test started, by PID.
set -euo pipefail

: "${OWNER_BIN:?}" "${PEER_BIN:?}" "${FREE_PORTS_BIN:?}"
PROCESS_LIMIT_S=${PROCESS_LIMIT_S:-120}
# Scripted stand-ins for the owner import fake_owner.py from here.
export PYTHONPATH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)${PYTHONPATH:+:$PYTHONPATH}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/chunkswarm-it-XXXXXX")
STARTED_PIDS=()
declare -A PID_OF=()

cleanup() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [[ "${KEEP_WORK:-0}" == 1 ]]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
# A test ended by a signal (meson's timeout sends SIGTERM) still runs its EXIT trap.
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP
cd "$WORK"

fail() {
    echo "FAIL: $*" >&2
    show_logs
    keep_failed_logs
    exit 1
}

# keep_failed_logs: copies the failed run's logs, event streams, configs and outputs (not its
# data) out of WORK, which cleanup removes, to a folder named on stderr.
keep_failed_logs() {
    local dest
    dest="${FAILED_LOGS_DIR:-${BUILD_DIR:-${TMPDIR:-/tmp}}/failed-tests}/$(basename "$0" .sh)-$(date +%Y%m%d-%H%M%S)-$$"
    mkdir -p "$dest" || return 0
    (cd "$WORK" && find . -type f -size -8M \( -name '*.log' -o -name '*.jsonl' -o -name '*.json' -o -name '*.out' \
        -o -name '*.err' -o -name '*.txt' \) -exec cp --parents {} "$dest" \;) 2>/dev/null || true
    echo "the failed run's logs are kept in $dest" >&2
}

show_logs() {
    local log
    for log in "$WORK"/*.log; do
        [[ -e "$log" ]] || continue
        echo "----- last lines of $(basename "$log") -----" >&2
        tail -n 15 "$log" >&2
    done
}

# make_file PATH BYTES: random bytes, so every chunk hash differs.
make_file() { head -c "$2" /dev/urandom > "$1"; }

free_ports() { "$FREE_PORTS_BIN" "$1"; }

# ring_config PATH CHUNK_SIZE OWNER_PORT PEER_PORT...: peer k downloads from peer k-1, peer 1 from the last.
ring_config() {
    local path=$1 chunk_size=$2 owner_port=$3
    shift 3
    local ports=("$@") n=$# i
    {
        printf '{\n  "owner": { "host": "127.0.0.1", "port": %s },\n' "$owner_port"
        printf '  "chunk_size": %s,\n  "data_dir": "%s/data",\n' "$chunk_size" "$WORK"
        # Short failure timeouts, so tests of a gone peer take seconds; long enough for a slow machine.
        printf '  "settings": { "owner_connect_timeout_s": 60, "neighbor_connect_timeout_s": 60,\n'
        printf '                "neighbor_gone_s": 3, "give_up_s": 10, "idle_exit_s": 6 },\n'
        printf '  "peers": [\n'
        for ((i = 1; i <= n; i++)); do
            ((i == 1)) || printf ',\n'
            printf '    { "id": %d, "port": %s, "download_neighbor": %d }' "$i" "${ports[i - 1]}" $((i == 1 ? n : i - 1))
        done
        printf '\n'
        printf '  ]\n}\n'
    } > "$path"
}

# start NAME COMMAND...: runs in the background with stdout and stderr in NAME.log.
start() {
    local name=$1
    shift
    timeout --signal=TERM "$PROCESS_LIMIT_S" "$@" > "$WORK/$name.log" 2>&1 &
    STARTED_PIDS+=($!)
    PID_OF[$name]=$!
}

# program_pid NAME: the PID of the program itself (start's PID is its `timeout` wrapper's).
program_pid() {
    local children
    children=$(cat "/proc/${PID_OF[$1]}/task/${PID_OF[$1]}/children" 2>/dev/null) || true
    [[ -n "$children" ]] || fail "$1 has no running program to signal"
    echo "${children%% *}"
}

# crash NAME: SIGKILL, as a power cut or the OOM killer would; waits until it is gone.
crash() {
    kill -KILL "$(program_pid "$1")"
    wait "${PID_OF[$1]}" 2>/dev/null || true
}

# wait_ok NAME...: each must exit 0 within the process limit.
# exit_reason NAME: the one-line error a program printed as it exited, else its last line.
exit_reason() {
    grep -m 1 -E '^[a-z]+( [0-9]+)?: error: ' "$WORK/$1.log" || tail -n 1 "$WORK/$1.log"
}

wait_ok() {
    local name status
    for name in "$@"; do
        status=0
        wait "${PID_OF[$name]}" || status=$?
        if ((status == 124)); then fail "$name did not finish within ${PROCESS_LIMIT_S} s"; fi
        if ((status != 0)); then fail "$name exited with status $status: $(exit_reason "$name")"; fi
    done
}

# check_file ORIGINAL COPY...: every copy is byte-identical (SHA-256).
check_file() {
    local original=$1 want copy got
    shift
    want=$(sha256sum "$original" | cut -d' ' -f1)
    for copy in "$@"; do
        [[ -f "$copy" ]] || fail "$copy was not produced"
        got=$(sha256sum "$copy" | cut -d' ' -f1)
        [[ "$got" == "$want" ]] || fail "$copy differs from $original ($got != $want)"
        echo "ok: $copy matches (sha256 ${want:0:16}...)"
    done
}

# check_events EVENTS...: each peer's json event stream (--log-format json) shows all six activity
# kinds the original brief asks for.
check_events() {
    local events kind
    for events in "$@"; do
        for kind in chunk_received chunk_sent list_received list_sent chunks_requested request_received; do
            (($(event_count "$events" "$kind") > 0)) || fail "$events has no $kind event"
        done
    done
    echo "ok: all six activity kinds in $# event stream(s)"
}

# event_line EVENTS EVENT [KEY=VALUE...]: the first such event's line number, or nothing.
event_line() { "$EVENTS_PYTHON" "$EVENTS_PY" line "$@" || true; }

# earliest N...: the smallest of the non-empty numbers, or nothing.
earliest() { printf '%s\n' "$@" | { grep -v '^$' || true; } | sort -n | head -n 1; }

# check_seed_order EVENTS...: the original brief's sequence in each peer's event stream: chunks
# from the owner stored, then the summary file written, then trading (a chunk from or to a neighbour).
check_seed_order() {
    local events owner summary trading
    for events in "$@"; do
        owner=$(event_line "$events" chunk_received from=owner)
        summary=$(earliest "$(event_line "$events" first_chunks_held)" "$(event_line "$events" share_held)")
        trading=$(earliest "$(event_line "$events" chunk_received from!=owner)" "$(event_line "$events" chunk_sent)")
        [[ -n $owner && -n $summary && -n $trading ]] && ((owner < summary && summary < trading)) ||
            fail "$events is not in the original brief's order (first lines: owner's chunk $owner, summary $summary, trading $trading)"
    done
    echo "ok: the original brief's order (owner's chunks, summary, trading) in $# event stream(s)"
}

# expect_error NAME PATTERN COMMAND...: exits non-zero quickly and says PATTERN on stderr.
expect_error() {
    local name=$1 pattern=$2 status=0
    shift 2
    timeout 30 "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || status=$?
    ((status != 0 && status != 124)) || fail "$name: expected a non-zero exit, got $status"
    ((status < 128)) || fail "$name: killed by signal $((status - 128)) (a crash), not a clean exit: $(tail -n 3 "$WORK/$name.err")"
    grep -q -- "$pattern" "$WORK/$name.err" || fail "$name: stderr lacks '$pattern': $(cat "$WORK/$name.err")"
    echo "ok: $name -> exit $status: $(head -n 1 "$WORK/$name.err")"
}

# frame JSON_HEADER: a payload-less chunkswarm frame on stdout (see docs/protocol.md).
frame() {
    local header=$1 n=${#1} length
    # Two steps: the first printf spells the big-endian length as \xNN escapes, the second emits the bytes.
    length=$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((n >> 24 & 255)) $((n >> 16 & 255)) $((n >> 8 & 255)) $((n & 255)))
    printf 'CSW1'
    # shellcheck disable=SC2059
    printf "$length"
    printf '\x00\x00\x00\x00%s' "$header"
}

# wait_for_line LOG PATTERN [SECONDS]: up to SECONDS (default 10) for a process to log PATTERN.
# Logs are written in batches, so a line is never read right after the event it reports.
wait_for_line() {
    local _ limit=${3:-10}
    for _ in $(seq $((limit * 10))); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    fail "$1 never logged '$2' within $limit s"
}

EVENTS_PY="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/events.py"
# Debian's interpreter where there is one: it starts in 40 ms, where a version manager's shim in
# PATH can take ten times that, and a wait for an event that lags is a fault that lands late.
EVENTS_PYTHON=python3
[[ -x /usr/bin/python3 ]] && EVENTS_PYTHON=/usr/bin/python3
# wait_for_event EVENTS SECONDS EVENT [KEY=VALUE...]: up to SECONDS for a process's json event
# stream (a launcher's logs/<name>.events.jsonl, or --log-format json output) to show EVENT with
# those fields; prints the event.
wait_for_event() {
    local file=$1 limit=$2
    shift 2
    "$EVENTS_PYTHON" "$EVENTS_PY" wait "$file" "$@" --timeout "$limit" || fail "$file shows no event $* within $limit s"
}

# event_time EVENTS EVENT [KEY=VALUE...]: the first such event's time in epoch seconds, or nothing.
event_time() { "$EVENTS_PYTHON" "$EVENTS_PY" time "$@" || true; }

# held_all_time EVENTS: when a peer held every chunk (the chunk_received that made `held` reach
# `total`), or for a peer that received none, its joining event's time; nothing if neither. Not
# joining's time alone: a peer whose last chunk came from a helper while its upstream was out of
# reach joins only once it has counted that upstream gone.
held_all_time() {
    "$EVENTS_PYTHON" - "$1" << 'PY' || true
import sys
from events import epoch, read
whole = [e for e in read(sys.argv[1], "chunk_received", []) if e.get("held") == e.get("total")]
whole = whole or read(sys.argv[1], "joining", [])
if whole:
    print(f"{epoch(whole[0]):.6f}")
PY
}

# event_count EVENTS EVENT [KEY=VALUE...]: how many such events the stream holds.
event_count() { "$EVENTS_PYTHON" "$EVENTS_PY" count "$@"; }

# seconds_between T0 T1: T1 - T0 (epoch seconds) with two decimals.
seconds_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# reroute_outcome WHO EVENTS FAULT_AT GONE_S TO: what peer WHO did about its upstream failing at FAULT_AT
# (epoch seconds), decided from its event stream. Either it rerouted to TO (a "peer N" or
# "owner") after the fault, or what it still lacked came from a helper it started after the fault,
# or from elsewhere before it could count the upstream as gone (it held every chunk before it, or
# within GONE_S of the fault plus the 2 s between two connection attempts at most (retry_max_ms):
# an upstream that cannot be reached is gone at the first failed attempt past GONE_S). Anything else
# fails. Sets REROUTED to 1 or 0 and prints the outcome.
reroute_outcome() {
    local who=$1 events=$2 fault_at=$3 gone_s=$4 to=$5 rerouted whole after helped
    whole=$(held_all_time "$events")
    rerouted=$(event_time "$events" rerouted to="$to")
    if [[ -n "$rerouted" ]]; then
        awk -v t="$rerouted" -v f="$fault_at" 'BEGIN { exit !(t >= f) }' ||
            fail "$events: rerouted to $to $(seconds_between "$rerouted" "$fault_at") s before the fault"
        [[ -n "$whole" ]] || fail "$events: rerouted to $to but never held every chunk"
        REROUTED=1
        echo "outcome: $who rerouted to $to $(seconds_between "$fault_at" "$rerouted") s after the fault;" \
            "held every chunk $(seconds_between "$fault_at" "$whole") s after it"
        return 0
    fi
    [[ -n "$whole" ]] || fail "$events: neither rerouted to $to nor held every chunk"
    after=$(seconds_between "$fault_at" "$whole")
    REROUTED=0
    # A helper started beside the failing upstream after the fault may have brought the rest.
    helped=$(event_time "$events" helper_added)
    if [[ -n "$helped" ]] && awk -v t="$helped" -v f="$fault_at" -v w="$whole" 'BEGIN { exit !(t >= f && w >= t) }'; then
        echo "outcome: $who took what it lacked from a helper started $(seconds_between "$fault_at" "$helped") s" \
            "after the fault, and held every chunk $after s after it"
        return 0
    fi
    awk -v a="$after" -v limit="$((gone_s + 2))" 'BEGIN { exit !(a < limit) }' ||
        fail "$events: never rerouted to $to, and held every chunk only $after s after the fault"
    if awk -v a="$after" 'BEGIN { exit !(a < 0) }'; then
        echo "outcome: $who needed no reroute: it held every chunk ${after#-} s before the fault"
    else
        echo "outcome: $who needed no reroute: it held every chunk $after s after the fault (before it could" \
            "count its upstream gone: ${gone_s} s and a last connection attempt)"
    fi
}

# expect_lines LOG TEXT...: each TEXT (fixed, not a pattern) appears in LOG, waiting up to 10 s
# for each, as the process may still be running with lines not yet written.
expect_lines() {
    local log=$1 line _
    shift
    for line in "$@"; do
        for _ in $(seq 100); do
            grep -qF -- "$line" "$log" 2>/dev/null && continue 2
            sleep 0.1
        done
        fail "$log lacks: $line"
    done
}
