#!/usr/bin/env bash
# The benchmark runs end to end on a small file: floor and swarm both complete, every copy is
# checked, and the JSON holds each figure. (The figures themselves are not judged here.)
source "$(dirname "$0")/lib.sh"
: "${BENCH_BIN:?}"

expect_error bench_tiny 'at least 5 chunks' "$BENCH_BIN" --size 100K --work bw
expect_error bench_size 'is not a size' "$BENCH_BIN" --size lots --work bw

timeout 300 "$BENCH_BIN" --size 3MiB --peers 3 --runs 2 --work bw --keep > bench.log 2>&1 || fail "bench failed: $(tail -n 5 bench.log)"
cat bench.log
grep -q 'every copy byte-identical' bench.log || fail "bench did not verify the copies"
check_json_keys() {
    # grep, not a JSON tool: a bare Debian has none.
    local key
    for key in '"copy floor"' '"swarm"' '"owner peak RSS"' '"peer peak RSS, largest"' '"bootstrap from owner, last peer"'; do
        grep -q "$key" bw/bench.json || fail "bench.json lacks $key"
    done
}
check_json_keys
grep -Eq '"median": [0-9.]+[1-9]' bw/bench.json || fail "bench.json has no non-zero median"
grep -q '"peak_rss_mib": null' bw/bench.json && fail "a process did not report its peak memory"
[[ -f bw/swarm/logs/peer-3.events.jsonl ]] || fail "--keep did not keep the last swarm's logs"
check_events bw/swarm/logs/peer-{1..3}.events.jsonl
expect_error bench_against 'has no runnable owner' "$BENCH_BIN" --size 1MiB --work bw --against /nonexistent
expect_error bench_slow 'is not K@RATE' "$BENCH_BIN" --size 1MiB --work bw --peers 3 --slow 4@1M
expect_error bench_kill 'is not K@SECONDS' "$BENCH_BIN" --size 1MiB --work bw --peers 3 --kill 1@soon
expect_error bench_rate 'is not a rate' "$BENCH_BIN" --size 1MiB --work bw --link-rate 5
# One host's link, a slow peer and a killed one: the survivors' copies are checked, T/(F/U) printed.
timeout 300 "$BENCH_BIN" --size 2MiB --peers 4 --runs 1 --no-floor --work bw --link-rate 4M --slow 1@1M --kill 1@0.3 \
    --slow-way both --seed 11 > faults.log 2>&1 || fail "bench with --slow and --kill failed: $(tail -n 5 faults.log)"
cat faults.log
grep -Eq '^bench: seed 11; slow .*: \[[0-9]\]; killed at 0.3 s: \[[0-9]\]' faults.log || fail "bench did not name the faulty peers"
grep -Eq '^T / \(F/U\) \(x\) +[0-9.]+' faults.log || fail "bench did not print T/(F/U)"
grep -q 'every copy byte-identical' faults.log || fail "bench did not verify the survivors' copies"
grep -q '"slow_way": "both"' bw/bench.json || fail "bench.json does not say how the slow peers were capped"
# An A/B against another build: here the same programs copied aside.
mkdir other && cp "$(dirname "$OWNER_BIN")/owner" "$(dirname "$PEER_BIN")/peer" other/
timeout 300 "$BENCH_BIN" --size 1MiB --peers 2 --runs 2 --no-floor --work bw --against other > ab.log 2>&1 ||
    fail "bench --against failed: $(tail -n 5 ab.log)"
cat ab.log
[[ $(grep -c 'swarm of other .* every copy byte-identical' ab.log) == 2 ]] || fail "bench did not run the other build twice"
grep -q '^against other' ab.log || fail "bench did not print the other build's figures"
grep -q '"bin_dir": "other"' bw/bench.json || fail "bench.json lacks the other build's figures"
expect_error bench_no_libtorrent 'cannot import libtorrent' "$BENCH_BIN" --size 1MiB --work bw --libtorrent --python /bin/false
# A "python" whose libtorrent swarm prints nonsense: the bench says so and fails, it does not crash.
printf '#!/bin/sh\necho "{\\"wall_s\\": 1, \\"seed\\": 5}"\n' > fake-python && chmod +x fake-python
expect_error bench_libtorrent_nonsense 'printed no usable figures' \
    "$BENCH_BIN" --size 1MiB --peers 2 --runs 1 --no-floor --work bw --libtorrent --python "$PWD/fake-python"
# libtorrent side by side: only where Debian's python3-libtorrent is installed (the bench's only use of it).
libtorrent_part="skipped (python3-libtorrent is not installed)"
if /usr/bin/python3 -c 'import libtorrent' 2> /dev/null; then
    # From ready sources: the owner hashed and the seed listening before the peers start.
    timeout 300 "$BENCH_BIN" --size 2MiB --peers 3 --runs 2 --no-floor --work bw --libtorrent --ready-source > lt.log 2>&1 ||
        fail "bench --libtorrent failed: $(tail -n 5 lt.log)"
    cat lt.log
    [[ $(grep -c 'libtorrent .* every copy byte-identical' lt.log) == 2 ]] || fail "bench did not run libtorrent twice"
    grep -q '^swarm / libtorrent (medians) *[0-9.]*[1-9]' lt.log || fail "bench printed no swarm/libtorrent ratio"
    grep -Eq '^swarm from a ready owner \(s\) +[0-9.]+' lt.log || fail "bench printed no time from a ready owner"
    grep -Eq '^libtorrent from a ready seed \(s\) +[0-9.]+' lt.log || fail "bench printed no time from a ready seed"
    grep -q '^ready owner / ready seed (medians) *[0-9.]*[1-9]' lt.log || fail "bench printed no ratio from ready sources"
    grep -q '"swarm_over_libtorrent"' bw/bench.json || fail "bench.json lacks the libtorrent figures"
    [[ -z $(ls bw/libtorrent/data 2> /dev/null) ]] || fail "libtorrent's copies were left behind"
    libtorrent_part="ran twice, copies verified"
fi
echo "ok: bench ran floor and swarm twice and wrote its figures, and an A/B against another build; libtorrent side by side: $libtorrent_part"
