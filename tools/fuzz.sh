#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) under libFuzzer with ASan + UBSan, starting from
# the checked-in corpus in test/fuzz/corpus/<target>. New inputs go to build-fuzz/fuzz-<target>/,
# never into the source tree. Prints one line of figures per target; exits non-zero on a crash
# and names the input that caused it (add it to the corpus once the bug is fixed).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
targets=(frames manifest config tls)

missing=()
for package in clang libclang-rt-14-dev; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "fuzz: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi

export CXX=clang++ BUILD_DIR=$ROOT/build-fuzz
export MESON_ARGS="-Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false"
"$ROOT/tools/setup.sh"

status=0
passed=0
failed=0
for target in "${targets[@]}"; do
    work=$BUILD_DIR/fuzz-$target
    mkdir -p "$work/corpus" "$work/artifacts"
    rm -f "$work/artifacts"/*
    rc=0
    "$BUILD_DIR/test/fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 \
        -artifact_prefix="$work/artifacts/" "$work/corpus" "$ROOT/test/fuzz/corpus/$target" > "$work/log" 2>&1 || rc=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$' || echo 0)
    crashes=$(find "$work/artifacts" -type f | wc -l)
    inputs=$(find "$work/corpus" "$ROOT/test/fuzz/corpus/$target" -type f | wc -l)
    echo "fuzz $target: $execs executions in $seconds s, $crashes crash(es), corpus $inputs input(s)"
    if ((rc != 0 || crashes > 0)); then
        status=1
        failed=$((failed + 1))
        tail -n 30 "$work/log"
        find "$work/artifacts" -type f -printf '  crashing input: %p\n'
    else
        passed=$((passed + 1))
    fi
done
echo "[fuzz] $passed passed, $failed failed"
exit "$status"
