#!/usr/bin/env bash
# All peers start before the owner and wait for it; the owner then serves all five at the same time.
source "$(dirname "$0")/lib.sh"

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"
make_file input.bin $((102400 * 60 + 99))

for id in 1 2 3 4 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
sleep 1
start owner "$OWNER_BIN" --config ring.json --file input.bin
wait_ok peer1 peer2 peer3 peer4 peer5 owner
check_file input.bin data/peer-{1..5}/input.bin
check_events peer{1..5}.log
(($(event_count peer1.log waiting for=owner) >= 1)) || fail "peer 1 did not report waiting for the owner"
echo "ok: peer 1 said it waits for the owner"
