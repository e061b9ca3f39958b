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
