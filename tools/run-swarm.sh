#!/usr/bin/env bash
# The main job: builds if needed, then runs the owner and the five peers of configs/ring5.json on
# 127.0.0.1 the way the seed describes (owner first, then one peer at a time), waits for all of
# them and checks every peer's copy against the original (SHA-256).
#
#   tools/run-swarm.sh [FILE]          distribute FILE (default: a generated sample of about 5 MiB)
#   options: --config PATH             another ring (default: configs/ring5.json)
#            --work DIR                where data and logs go (default: ./swarm-run, emptied first)
#            --quiet                   show only the verdict, not every activity line
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
config=$ROOT/configs/ring5.json
work=$PWD/swarm-run
file=""
quiet=0
while (($#)); do
    case "$1" in
    --config) config=$(realpath "$2"); shift 2 ;;
    --work) work=$(realpath -m "$2"); shift 2 ;;
    --quiet) quiet=1; shift ;;
    -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run-swarm: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) file=$(realpath "$1"); shift ;;
    esac
done
if [[ -n "$file" && ! -f "$file" ]]; then
    echo "run-swarm: $file is not a readable file" >&2
    exit 2
fi

"$ROOT/tools/setup.sh"
owner_bin=${BUILD_DIR:-$ROOT/build}/src/owner
peer_bin=${BUILD_DIR:-$ROOT/build}/src/peer

# Only the work directory's own contents are removed, and only if it is ours or new.
if [[ -e "$work" && ! -e "$work/.chunkswarm-run" ]]; then
    echo "run-swarm: $work exists and was not made by run-swarm; pass --work DIR" >&2
    exit 2
fi
rm -rf "$work"
mkdir -p "$work/logs"
touch "$work/.chunkswarm-run"

if [[ -z "$file" ]]; then
    file=$work/sample.bin
    # 5 MiB and a bit: 52 chunks of 100 KiB, the last one short.
    head -c $((5 * 1024 * 1024 + 12345)) /dev/urandom > "$file"
    echo "run-swarm: generated $file ($(stat -c %s "$file") bytes)"
fi
name=$(basename "$file")
mapfile -t peer_ids < <(grep -o '"id": *[0-9]*' "$config" | grep -o '[0-9]*$')

pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

# Each process logs to its own file; the terminal shows all of them as they happen.
launch() {
    local log=$1
    shift
    if ((quiet)); then
        "$@" > "$log" 2>&1 &
    else
        "$@" > >(tee "$log") 2>&1 &
    fi
    pids+=($!)
}

started_ns=$(date +%s%N)
launch "$work/logs/owner.log" "$owner_bin" --config "$config" --file "$file" --data-dir "$work/owner"
for id in "${peer_ids[@]}"; do
    sleep 0.3
    launch "$work/logs/peer-$id.log" "$peer_bin" --config "$config" --id "$id" --data-dir "$work/peer-$id"
done

failures=0
for i in "${!pids[@]}"; do
    status=0
    wait "${pids[$i]}" || status=$?
    if ((status != 0)); then
        ((i == 0)) && who=owner || who="peer ${peer_ids[i - 1]}"
        echo "run-swarm: $who exited with status $status (log: $work/logs/)" >&2
        failures=$((failures + 1))
    fi
done
pids=()
elapsed_ms=$((($(date +%s%N) - started_ns) / 1000000))

want=$(sha256sum "$file" | cut -d' ' -f1)
echo
echo "Verdict for $name ($(stat -c %s "$file") bytes, SHA-256 ${want:0:16}...):"
for id in "${peer_ids[@]}"; do
    copy=$work/peer-$id/$name
    if [[ -f "$copy" && $(sha256sum "$copy" | cut -d' ' -f1) == "$want" ]]; then
        echo "  peer $id: OK, byte-identical ($copy)"
    else
        echo "  peer $id: FAILED, missing or different ($copy)"
        failures=$((failures + 1))
    fi
done
echo "Logs: $work/logs/  Chunks and summaries: $work/peer-*/  Wall time: $((elapsed_ms / 1000)).$(printf %03d $((elapsed_ms % 1000))) s"
if ((failures)); then
    echo "run-swarm: $failures problem(s)" >&2
    exit 1
fi
