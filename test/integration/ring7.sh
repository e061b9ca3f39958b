#!/usr/bin/env bash
# A seven-peer ring with another chunk size, started in a shuffled order.
source "$(dirname "$0")/lib.sh"

mapfile -t ports < <(free_ports 8)
ring_config ring.json 65536 "${ports[@]}"
make_file input.bin $((65536 * 50 + 1))

start owner "$OWNER_BIN" --config ring.json --file input.bin
for id in 4 1 7 2 6 3 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id"; done
wait_ok peer{1..7} owner
check_file input.bin data/peer-{1..7}/input.bin
check_events peer{1..7}.log

# By default a peer's log says the joined file rests on its chunks' hashes.
[[ $(grep -l "every chunk's SHA-256 ok" peer{1..7}.log | wc -l) == 7 ]] || fail "a peer did not say how its file was checked"

# The same ring with early_trading: a peer trades as soon as the manifest arrives, while its share
# still comes in from the owner; and verify_joined_file, so each joined file is also hashed whole.
mapfile -t ports < <(free_ports 8)
ring_config early.json 65536 "${ports[@]}"
sed -i -e 's/"settings": {/"settings": { "early_trading": true, "verify_joined_file": true,/' \
    -e "s|\"$WORK/data\"|\"$WORK/early\"|" early.json
make_file big.bin $((65536 * 400 + 3))
start early-owner "$OWNER_BIN" --config early.json --file big.bin
for id in 3 6 1 7 4 2 5; do start "early-peer$id" "$PEER_BIN" --config early.json --id "$id"; done
wait_ok early-peer{1..7} early-owner
check_file big.bin early/peer-{1..7}/big.bin
[[ $(grep -l "whole-file SHA-256 ok" early-peer{1..7}.log | wc -l) == 7 ]] ||
    fail "with verify_joined_file a peer did not check its joined file whole"
traded_early=0
for id in 1 2 3 4 5 6 7; do
    # A chunk from the neighbour logged before the line that says the share is complete.
    if awk '/received chunk [0-9]+ from peer/ { print "early"; exit } /holds its share from the owner/ { exit }' \
        "early-peer$id.log" | grep -q early; then traded_early=$((traded_early + 1)); fi
done
((traded_early > 0)) || fail "no peer took a chunk from its neighbour before its share was complete"
echo "ok: early_trading: $traded_early of 7 peers traded before holding their share; every copy identical"
