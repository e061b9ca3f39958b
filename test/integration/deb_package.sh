#!/usr/bin/env bash
# The Debian package (tools/make-deb.sh): installed with apt on this machine, it gives one stripped
# program, /usr/bin/chunkswarm, with its man pages, and a swarm of five peers runs from it. The
# package is removed at the end. Needs root, and a machine where chunkswarm is not installed.
source "$(dirname "$0")/lib.sh"
: "${BUILD_DIR:?}"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

[[ $(id -u) == 0 ]] || { echo "skipped: installing a package needs root"; exit 77; }
command -v apt-get > /dev/null && command -v dpkg-shlibdeps > /dev/null ||
    { echo "skipped: needs apt-get and dpkg-shlibdeps (Debian's dpkg-dev)"; exit 77; }
if dpkg-query -W -f='${Status}' chunkswarm 2> /dev/null | grep -q "install ok installed"; then
    echo "skipped: chunkswarm is installed on this machine already; this test would replace it"
    exit 77
fi

deb=$(BUILD_DIR=$BUILD_DIR bash "$ROOT/tools/make-deb.sh" "$WORK/pkg" 2> make-deb.err) ||
    fail "make-deb.sh failed: $(cat make-deb.err)"
[[ $(basename "$deb") == chunkswarm_*_*.deb ]] || fail "make-deb.sh made $deb"
dpkg-deb -f "$deb" Depends | grep -q libuv1 || fail "the package does not depend on libuv1: $(dpkg-deb -f "$deb" Depends)"

remove_package() {
    dpkg -r chunkswarm > remove.out 2>&1 || echo "could not remove the package chunkswarm: $(tail -n 3 remove.out)" >&2
    cleanup
}
trap remove_package EXIT
DEBIAN_FRONTEND=noninteractive timeout 120 apt-get install -y -qq -o DPkg::Lock::Timeout=60 "$deb" > apt.out 2>&1 ||
    fail "apt-get install $deb failed: $(tail -n 5 apt.out)"
dpkg -L chunkswarm > files.txt
for path in /usr/bin/chunkswarm /usr/share/man/man1/chunkswarm.1.gz /usr/share/man/man1/chunkswarm-peer.1.gz \
    /usr/share/chunkswarm/configs/ring5.json; do
    grep -qx "$path" files.txt || fail "the package has no $path"
done
grep -E '^/usr/bin/' files.txt | grep -vx /usr/bin/chunkswarm && fail "the package installs more programs than chunkswarm"
sections=$(readelf -S /usr/bin/chunkswarm) || fail "readelf cannot read /usr/bin/chunkswarm"
[[ $sections != *.symtab* ]] || fail "/usr/bin/chunkswarm is not stripped"
echo "ok: apt installed $(basename "$deb"): one stripped program and its man pages"

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"
make_file input.bin $((102400 * 9 + 77))
timeout 90 /usr/bin/chunkswarm swarm --config ring.json --file input.bin --work "$WORK/run" --display quiet \
    --together > run.out 2>&1 || { cat run.out; fail "the installed chunkswarm swarm failed"; }
check_file input.bin "$WORK"/run/peer-{1..5}/input.bin
echo "ok: a swarm of five ran from the installed package"
