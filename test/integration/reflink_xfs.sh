#!/usr/bin/env bash
# Chunk files as clones: on a file system that shares blocks between files (XFS, made here on a
# loop-mounted image), each chunk file of the owner shares its blocks with the source and each
# of a peer's with its joined file, so every byte is on disk once per process; the copies are still
# exact, and the disk unit tests pass there with clones required. Elsewhere (ext4, tmpfs) the same
# code writes the bytes, which every other test covers.
# Needs root, mkfs.xfs (Debian's xfsprogs; `tools/setup.sh --xfs` installs it) and a loop device:
# skipped with exit 77 and the reason otherwise. Unmounts what it mounted.
source "$(dirname "$0")/lib.sh"
: "${DISK_TEST_BIN:?}"

if ((EUID != 0)); then
    echo "SKIP: mounting a file system image needs root (run the tests as root to include this one)"
    exit 77
fi
if ! command -v mkfs.xfs > /dev/null || ! command -v xfs_io > /dev/null; then
    echo "SKIP: mkfs.xfs and xfs_io are missing (Debian's xfsprogs; tools/setup.sh --xfs installs it)"
    exit 77
fi
truncate -s 512M xfs.img
mkfs.xfs -q xfs.img || fail "mkfs.xfs could not make an XFS image"
mkdir xfs
if ! mount -o loop xfs.img xfs 2> mount.err; then
    echo "SKIP: cannot mount a loop device here: $(head -n 1 mount.err)"
    exit 77
fi
# The processes end before the unmount, and the unmount before the work directory goes.
trap 'cleanup_mount' EXIT
cleanup_mount() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    umount "$WORK/xfs" || umount -l "$WORK/xfs" || true
    cleanup
}

# shared_everywhere FILE...: every extent of each file is shared (FIEMAP's 0x2000 flag).
shared_everywhere() {
    local file flags
    for file in "$@"; do
        flags=$(xfs_io -r -c "fiemap -v" "$file" | awk 'NR > 2 && $2 != "hole" { print $NF }')
        [[ -n $flags ]] || fail "$file has no extents"
        for flag in $flags; do
            (((flag & 0x2000) != 0)) || fail "$file has an extent that is not shared (flags $flag)"
        done
    done
}

mkdir -p xfs/tmp
TMPDIR="$WORK/xfs/tmp" CHUNKSWARM_EXPECT_CLONES=1 "$DISK_TEST_BIN" > disk_test.log 2>&1 ||
    fail "the disk unit tests failed on XFS with clones required: $(tail -n 20 disk_test.log)"
echo "ok: the disk unit tests pass on XFS, every chunk file a clone"

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"
sed -i "s|\"data_dir\": \"$WORK/data\"|\"data_dir\": \"$WORK/xfs/data\"|" ring.json
grep -q "\"data_dir\": \"$WORK/xfs/data\"" ring.json || fail "could not move the data directories onto XFS"
chunks=41
make_file xfs/input.bin $((102400 * (chunks - 1) + 77))

start owner "$OWNER_BIN" --config ring.json --file xfs/input.bin --log-format json
for id in 1 2 3 4 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
wait_ok peer{1..5} owner
check_file xfs/input.bin xfs/data/peer-{1..5}/input.bin
wait_for_event owner.log 10 chunk_files total=$chunks clones=$chunks > /dev/null
for id in 1 2 3 4 5; do
    wait_for_event "peer$id.log" 10 chunk_files_cloned clones=$chunks dir="$WORK/xfs/data/peer-$id/chunks" > /dev/null
done
echo "ok: the owner and every peer say all $chunks chunk files are clones"
for dir in owner peer-{1..5}; do
    shared_everywhere xfs/data/$dir/chunks/chunk-*
    cat xfs/data/$dir/chunks/chunk-* | cmp - xfs/input.bin || fail "$dir's chunk files do not join into the input"
done
shared_everywhere xfs/data/peer-{1..5}/input.bin
echo "ok: every chunk file of the owner and the five peers is a clone; all joined files exact"
