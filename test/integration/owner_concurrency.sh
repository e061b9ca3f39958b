#!/usr/bin/env bash
# The owner serves sessions side by side: a client that asks for all it was dealt and never reads
# it (so its session can never finish) must not hold up the five real peers joining at once.
source "$(dirname "$0")/lib.sh"

mapfile -t ports < <(free_ports 6)
chunk=$((1024 * 1024))
ring_config ring.json "$chunk" "${ports[@]}"
# 24 MiB per share; the first deal is a request window and a quarter (20 chunks, 20 MiB): more than
# the owner's send watermark plus the kernel's socket buffers.
make_file input.bin $((chunk * 120))

start owner "$OWNER_BIN" --config ring.json --file input.bin --log-format json
# The stalled client requests its first deal blind, so it comes once every chunk is hashed (before,
# the owner deals only hashed chunks, and a request for another is refused as never offered).
wait_for_event owner.log 60 split > /dev/null

exec 3<>"/dev/tcp/127.0.0.1/${ports[0]}"
frame '{"type":"hello","version":1,"peer_id":1}' >&3
frame "{\"type\":\"request\",\"ids\":[$(seq -s, 0 5 95)]}" >&3
wait_for_event owner.log 10 request_received "from=peer 1" > /dev/null

for id in 1 2 3 4 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-level warn --log-format json; done
wait_ok peer1 peer2 peer3 peer4 peer5 owner
exec 3>&-
check_file input.bin data/peer-{1..5}/input.bin
(($(event_count owner.log request_refused) == 0)) || fail "the stalled client's request was refused, so it held nothing"
# The stalled client, then peer 1 for its share (and once more to say it is complete).
(($(event_count owner.log client_connected "from=peer 1") >= 2)) || fail "expected the stalled client and peer 1 to both be served"
echo "ok: five peers completed while a stalled session held its first deal (20 MiB)"
