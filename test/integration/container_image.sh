#!/usr/bin/env bash
# The container image (tools/make-image.sh), built without network access from the Debian package,
# runs a swarm of five: the owner and each peer in a container of its own, on the host's network,
# with the work directory mounted at the same path. Where podman is missing or cannot start a
# container on this machine, the test says why and skips.
source "$(dirname "$0")/lib.sh"
: "${BUILD_DIR:?}"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

command -v podman > /dev/null || { echo "skipped: needs podman (tools/setup.sh --podman)"; exit 77; }
command -v dpkg-shlibdeps > /dev/null || { echo "skipped: needs dpkg-shlibdeps (Debian's dpkg-dev)"; exit 77; }
image=localhost/chunkswarm-test-$$
names=()
remove_all() {
    ((${#names[@]} == 0)) || podman rm -f "${names[@]}" > /dev/null 2>&1 || true
    podman rmi -f "$image" > /dev/null 2>&1 || true
    cleanup
}
trap remove_all EXIT

deb=$(BUILD_DIR=$BUILD_DIR bash "$ROOT/tools/make-deb.sh" "$WORK/pkg" 2> make-deb.err) ||
    fail "make-deb.sh failed: $(cat make-deb.err)"
built=$(IMAGE=$image ENGINE=podman bash "$ROOT/tools/make-image.sh" "$deb" 2> make-image.err) ||
    fail "make-image.sh failed: $(cat make-image.err)"
[[ $built == "$image" ]] || fail "make-image.sh named the image '$built', not '$image'"
echo "ok: built $image from $(basename "$deb") with --network none"

# How containers start here. A host with cgroup v1 and an empty v2 hierarchy beside it (hybrid
# mode, which crun refuses) gets a private mount namespace without the v2 mount, no cgroups for
# the container, and limits no higher than the host's.
launch=(podman run --pull never)
if ! podman run --rm --pull never "$image" --version > version.out 2> run.err; then
    if [[ -d /sys/fs/cgroup/unified ]] && command -v unshare > /dev/null; then
        launch=(unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec "$@"' sh
            podman run --pull never --cgroups=disabled --ulimit nofile=4096:4096 --ulimit nproc=1024:1024)
    fi
    "${launch[@]}" --rm "$image" --version > version.out 2>> run.err ||
        { echo "skipped: podman cannot start a container on this machine: $(tail -n 1 run.err)"; exit 77; }
fi
grep -qx "chunkswarm $(dpkg-deb -f "$deb" Version)" version.out || fail "the image's --version said $(cat version.out)"

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"
make_file input.bin $((102400 * 10 + 3))
# run_in_container NAME ARGS...: the program in a container named NAME, detached.
run_in_container() {
    local name=$1-$$
    shift
    names+=("$name")
    "${launch[@]}" -d --name "$name" --network host -v "$WORK:$WORK" "$image" "$@" > /dev/null ||
        fail "podman could not start $name"
}
run_in_container owner owner --config "$WORK/ring.json" --file "$WORK/input.bin" --data-dir "$WORK/owner"
for id in 1 2 3 4 5; do
    run_in_container "peer-$id" peer --config "$WORK/ring.json" --id "$id" --data-dir "$WORK/peer-$id"
done
# One deadline for the whole swarm, within meson's 300 s for the test.
deadline=$((SECONDS + 150))
for name in "${names[@]}"; do
    status=$(timeout $((deadline > SECONDS ? deadline - SECONDS : 1)) podman wait "$name") ||
        status="no exit within 150 s of the start"
    podman logs "$name" > "$WORK/${name%-$$}.log" 2>&1 || true
    [[ $status == 0 ]] || fail "the container $name exited with $status"
done
check_file input.bin "$WORK"/peer-{1..5}/input.bin
echo "ok: the owner and five peers, each in a container of the image, distributed the file"
