#!/usr/bin/env bash
# `meson install` into a staging directory: one program, `chunkswarm` (no `owner`, `peer` or `swarm`
# to clash with other tools' names), with a man page for it and one per command, --version printing
# the project's version, each man page listing every option its --help lists, and the installed
# `chunkswarm swarm` running a swarm of installed `chunkswarm owner` and `chunkswarm peer`.
source "$(dirname "$0")/lib.sh"
: "${BUILD_DIR:?}"

meson install -C "$BUILD_DIR" --no-rebuild --destdir "$WORK/stage" > install.log 2>&1 ||
    fail "meson install failed: $(tail -n 5 install.log)"
version=$(meson introspect --projectinfo "$BUILD_DIR" | python3 -c "import json, sys; print(json.load(sys.stdin)['version'])")
program=$(find "$WORK/stage" -path '*/bin/chunkswarm' -type f)
[[ -x $program ]] || fail "no bin/chunkswarm under the staging directory: $(find "$WORK/stage" -type f)"
bin=$(dirname "$program")
others=$(find "$bin" -mindepth 1 ! -name chunkswarm)
[[ -z $others ]] || fail "more than chunkswarm installed beside it: $others"

# man_page NAME WORDS...: the page NAME.1 has every section and every long option of WORDS --help.
check_page() {
    local name=$1
    shift
    local page
    page=$(find "$WORK/stage" -path "*/man1/$name.1" -type f)
    [[ -n $page ]] || fail "no man page $name.1"
    head -n 1 "$page" | grep -q "^\.TH ${name^^} 1 .*chunkswarm $version" || fail "$page has no title line for $name"
    for section in NAME SYNOPSIS DESCRIPTION EXAMPLES "EXIT STATUS" ENVIRONMENT FILES "SEE ALSO"; do
        grep -q "^\.SH $section\$" "$page" || fail "$page has no $section section"
    done
    grep -q CHUNKSWARM_SECRET "$page" || fail "$page does not name CHUNKSWARM_SECRET"
    # roff writes each - as \-.
    local help
    help=$("$@" --help) || fail "$* --help failed"
    [[ $help == *--version* ]] || fail "$* --help lists no --version: $help"
    for option in $(grep -o -- '--[a-z][a-z-]*' <<< "$help" | sort -u); do
        grep -qF -- "${option//-/\\-}" "$page" || fail "$page lacks $option"
    done
}
said=$("$program" --version) || fail "chunkswarm --version exited non-zero"
[[ $said == "chunkswarm $version" ]] || fail "chunkswarm --version said '$said', not 'chunkswarm $version'"
check_page chunkswarm "$program"
for command in owner peer swarm; do
    said=$("$program" "$command" --version) || fail "chunkswarm $command --version exited non-zero"
    [[ $said == "chunkswarm $command $version" ]] || fail "chunkswarm $command --version said '$said'"
    check_page "chunkswarm-$command" "$program" "$command"
done
"$program" no-such-command 2> unknown.err && fail "an unknown command exited 0"
grep -q 'the commands are owner, peer and swarm' unknown.err || fail "an unknown command said: $(cat unknown.err)"
echo "ok: chunkswarm installed alone, with four man pages; --version says $version"

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"
make_file input.bin $((102400 * 12 + 5))
timeout 120 "$program" swarm --config ring.json --file input.bin --work "$WORK/run" --display plain --together \
    > run.out 2>&1 || { cat run.out; fail "the installed swarm failed"; }
check_file input.bin "$WORK"/run/peer-{1..5}/input.bin
# (There is no owner or peer program beside it: only `chunkswarm owner` and `chunkswarm peer` ran.)
echo "ok: the installed chunkswarm swarm ran the installed chunkswarm owner and peers"
