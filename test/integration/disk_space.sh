#!/usr/bin/env bash
# Room on disk is checked before a byte is written: a peer whose data directory cannot hold the
# joined file and the chunk files, or an owner whose cannot hold its chunk files, stops with one
# line saying how much it needs, instead of filling the disk halfway through. Small file systems
# are tmpfs mounts in private mount namespaces (root only; skipped otherwise).
source "$(dirname "$0")/lib.sh"

if [[ $(id -u) != 0 ]] || ! unshare -m true 2>/dev/null; then
    echo "skipped: needs root and unshare to mount small file systems"
    exit 77
fi

mapfile -t ports < <(free_ports 4)
ring_config ring.json 102400 "${ports[@]}"
make_file input.bin $((102400 * 30))  # 3 MB: a peer keeping chunk files needs 6 MB (less the few KB its data directory already holds)
mkdir -p small

# on_small SIZE NAME COMMAND...: runs COMMAND with WORK/small a tmpfs of SIZE, seen by it alone.
on_small() {
    local size=$1 name=$2
    shift 2
    start "$name" unshare -m sh -c 'mount -t tmpfs -o size="$1" tmpfs "$2" && shift 2 && exec "$@"' sh \
        "$size" "$WORK/small" "$@"
}

# refused_for_room NAME PATTERN: NAME (started with on_small) exits non-zero saying PATTERN.
refused_for_room() {
    local status=0
    wait "${PID_OF[$1]}" || status=$?
    ((status != 0 && status != 124)) || fail "$1 on a small file system exited $status"
    grep -q "$2" "$1.log" || fail "$1 did not say how much it needs: $(tail -n 3 "$1.log")"
    echo "ok: $1 stops before writing: $(grep -o 'not enough disk space.*' "$1.log" | head -n 1)"
}

start owner "$OWNER_BIN" --config ring.json --file input.bin --log-format json --linger
for id in 1 3; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
on_small 4m tight "$PEER_BIN" --config ring.json --id 2 --data-dir "$WORK/small/peer-2"
refused_for_room tight 'not enough disk space in .*small/peer-2: the joined file and the chunk files .* need 61[0-9]\{5\} bytes' 

# Without chunk files the joined file alone fits, and the peer completes.
sed 's/"idle_exit_s": 6 }/"idle_exit_s": 6, "keep_chunk_files": false }/' ring.json > no_chunk_files.json
grep -q '"keep_chunk_files": false' no_chunk_files.json || fail "could not write no_chunk_files.json"
on_small 4m fits "$PEER_BIN" --config no_chunk_files.json --id 2 --data-dir "$WORK/small/peer-2"
wait_ok fits peer1 peer3
echo "ok: with keep_chunk_files false the same room holds the joined file; peer 2 completes"
kill -TERM "$(program_pid owner)"
wait "${PID_OF[owner]}" 2>/dev/null || true

# An owner keeping chunk files needs the file's size again in its data directory.
on_small 2m owner_tight "$OWNER_BIN" --config ring.json --file input.bin --data-dir "$WORK/small/owner"
refused_for_room owner_tight 'not enough disk space in .*small/owner: the chunk files .* need 30[0-9]\{5\} bytes' 
