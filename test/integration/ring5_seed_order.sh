#!/usr/bin/env bash
# The original brief's procedure: the owner first, then five peers one at a time; every peer ends with the file.
source "$(dirname "$0")/lib.sh"

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"
# Five full chunks, a few more, and a short last one.
make_file input.bin $((102400 * 37 + 4321))

start owner "$OWNER_BIN" --config ring.json --file input.bin
for id in 1 2 3 4 5; do
    start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json
    sleep 0.3
done
wait_ok peer1 peer2 peer3 peer4 peer5 owner
check_file input.bin data/peer-{1..5}/input.bin
check_events peer{1..5}.log
check_seed_order peer{1..5}.log
for id in 1 2 3 4 5; do
    [[ $(grep -cv '^#' "data/peer-$id/summary.txt") == 38 ]] || fail "peer $id's summary does not list all 38 chunks"
done
echo "ok: summaries list all 38 chunks"
