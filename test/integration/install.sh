#!/usr/bin/env bash
# `meson install` into a staging directory: owner, peer and swarm with a man page each, every
# program's --version printing the project's version, each man page listing every option its
# --help lists, and the installed swarm running a swarm with the installed owner and peers.
source "$(dirname "$0")/lib.sh"
: "${BUILD_DIR:?}"

meson install -C "$BUILD_DIR" --no-rebuild --destdir "$WORK/stage" > install.log 2>&1 ||
    fail "meson install failed: $(tail -n 5 install.log)"
version=$(meson introspect --projectinfo "$BUILD_DIR" | python3 -c "import json, sys; print(json.load(sys.stdin)['version'])")
bin=$(dirname "$(find "$WORK/stage" -path '*/bin/owner' -type f)")
[[ -d $bin ]] || fail "no bin/owner under the staging directory: $(find "$WORK/stage" -type f)"
for program in owner peer swarm; do
    [[ -x "$bin/$program" ]] || fail "$program was not installed beside owner"
    said=$("$bin/$program" --version) || fail "$program --version exited non-zero"
    [[ $said == "$program $version" ]] || fail "$program --version said '$said', not '$program $version'"
    page=$(find "$WORK/stage" -path "*/man1/$program.1" -type f)
    [[ -n $page ]] || fail "no man page for $program"
    head -n 1 "$page" | grep -q "^\.TH ${program^^} 1 .*chunkswarm $version" || fail "$page has no title line for $program"
    for section in NAME SYNOPSIS DESCRIPTION OPTIONS EXAMPLES "EXIT STATUS" ENVIRONMENT FILES "SEE ALSO"; do
        grep -q "^\.SH $section\$" "$page" || fail "$page has no $section section"
    done
    grep -q CHUNKSWARM_SECRET "$page" || fail "$page does not name CHUNKSWARM_SECRET"
    # Every long option of --help is in the page (roff writes each - as \-).
    for option in $("$bin/$program" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
        grep -qF -- "${option//-/\\-}" "$page" || fail "$page lacks $option"
    done
done
echo "ok: owner, peer and swarm installed with man pages; --version says $version"

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"
make_file input.bin $((102400 * 12 + 5))
timeout 120 "$bin/swarm" --config ring.json --file input.bin --work "$WORK/run" --display plain --together \
    > run.out 2>&1 || { cat run.out; fail "the installed swarm failed"; }
[[ $(grep -c "OK, SHA-256 matches" run.out) == 5 ]] || { cat run.out; fail "not five verified copies"; }
check_file input.bin "$WORK"/run/peer-{1..5}/input.bin
echo "ok: the installed swarm ran the installed owner and peers"
