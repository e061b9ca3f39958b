#!/usr/bin/env bash
# Runs every test (unit and integration) and ends with "N passed, N failed".
#   tools/test.sh                  the normal build (build/)
#   tools/test.sh --sanitize thread    ThreadSanitizer build (build-thread/)
#   tools/test.sh --sanitize address   AddressSanitizer + UBSan build (build-address/)
# Under a sanitizer the tests of speed and scale are left out (the suite "scale").
# Extra arguments after -- go to `meson test` (e.g. -- --suite unit).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sanitize=""
if [[ "${1:-}" == "--sanitize" ]]; then
    sanitize=$2
    shift 2
fi
[[ "${1:-}" == "--" ]] && shift

case "$sanitize" in
"") export BUILD_DIR=${BUILD_DIR:-$ROOT/build} ;;
thread) export BUILD_DIR=$ROOT/build-thread MESON_ARGS="-Db_sanitize=thread -Dbuildtype=debugoptimized" ;;
# Unoptimized: with -O2 both sanitizers' instrumentation made the build 18 min of CI's 68 (1092 s,
# against 323 s at -O0), while the tests took the same time either way (754 s, 730 s).
address) export BUILD_DIR=$ROOT/build-address MESON_ARGS="-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug" ;;
*) echo "test.sh: unknown sanitizer '$sanitize' (use thread or address)" >&2; exit 2 ;;
esac
"$ROOT/tools/setup.sh"
# The report's browser test needs Chromium; where it cannot be installed, that test says so and skips.
"$ROOT/tools/setup.sh" --browser > /dev/null 2>&1 || echo "test.sh: could not install chromium; the browser test will skip"
"$ROOT/tools/setup.sh" --xfs > /dev/null 2>&1 || echo "test.sh: could not install xfsprogs; the XFS clone test will skip"
"$ROOT/tools/setup.sh" --libtorrent > /dev/null 2>&1 ||
    echo "test.sh: could not install python3-libtorrent; the namespace test will run without libtorrent beside it"
"$ROOT/tools/setup.sh" --metrics > /dev/null 2>&1 ||
    echo "test.sh: could not install python3-prometheus-client; the metrics scrape test will skip"
"$ROOT/tools/setup.sh" --ssh > /dev/null 2>&1 ||
    echo "test.sh: could not install openssh-server; the launcher's ssh test will skip"
"$ROOT/tools/setup.sh" --tmux > /dev/null 2>&1 || echo "test.sh: could not install tmux; the live view's test will skip"
"$ROOT/tools/setup.sh" --podman > /dev/null 2>&1 ||
    echo "test.sh: could not install podman and dpkg-dev; the package and container tests will skip"

# Sanitizer findings fail the test that triggered them.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
export ASAN_OPTIONS="halt_on_error=1 detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1"

# The sanitizers skip the suite "scale" (test/meson.build says which tests and why).
suites=()
[[ -z "$sanitize" ]] || suites=(--no-suite scale)
status=0
meson test -C "$BUILD_DIR" --print-errorlogs "${suites[@]}" "$@" || status=$?

log="$BUILD_DIR/meson-logs/testlog.json"
passed=$(grep -o '"result": "[A-Z]*"' "$log" | grep -c '"OK"' || true)
failed=$(grep -o '"result": "[A-Z]*"' "$log" | grep -Evc '"(OK|SKIP)"' || true)
if ((status != 0 && failed == 0)); then failed=1; fi
# A skipped test names its reason (its last line of output), never silently.
python3 - "$log" << 'PY'
import json, sys
for line in open(sys.argv[1]):
    test = json.loads(line)
    if test["result"] == "SKIP":
        reason = (test.get("stdout") or "").strip().splitlines() or ["no reason given"]
        print(f"skipped: {test['name']}: {reason[-1]}")
PY
echo "${sanitize:+[$sanitize] }$passed passed, $failed failed"
exit "$status"
