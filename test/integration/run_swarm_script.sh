#!/usr/bin/env bash
# The README's main command, tools/run-swarm.sh: with its generated sample and with a user's file.
source "$(dirname "$0")/lib.sh"
script=$(dirname "$0")/../../tools/run-swarm.sh
export BUILD_DIR=${BUILD_DIR:?}

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"

bash "$script" --quiet --config ring.json --work "$WORK/run1" > run1.log 2>&1 || fail "run-swarm.sh (sample) failed"
[[ $(grep -c "OK, SHA-256 matches" run1.log) == 5 ]] || fail "run-swarm.sh did not report five identical copies"
for id in 1 2 3 4 5; do cmp -s "$WORK/run1/sample.bin" "$WORK/run1/peer-$id/sample.bin" || fail "peer $id's copy differs"; done
echo "ok: run-swarm.sh with its sample"

make_file "my file.dat" $((102400 * 9 + 5))
bash "$script" --quiet --config ring.json --work "$WORK/run2" "my file.dat" > run2.log 2>&1 || fail "run-swarm.sh (own file) failed"
check_file "my file.dat" "$WORK"/run2/peer-{1..5}/"my file.dat"

mkdir -p "$WORK/not-ours" && touch "$WORK/not-ours/precious"
if bash "$script" --quiet --config ring.json --work "$WORK/not-ours" > run3.log 2>&1; then fail "run-swarm.sh emptied a directory it did not make"; fi
[[ -f "$WORK/not-ours/precious" ]] || fail "run-swarm.sh removed a file it did not make"
echo "ok: run-swarm.sh leaves other directories alone"
