#!/usr/bin/env bash
# The owner deals each share as its peer draws it, so a peer that stalls keeps only its first deal:
# the peers that have drawn their own shares take over the rest of its share, and when the stalled
# peer's real process comes, it is offered exactly what was dealt to that slot.
source "$(dirname "$0")/lib.sh"

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"
# 200 chunks, 40 per share; the first deal is a request window and a quarter: 16 + 4 = 20.
make_file input.bin $((102400 * 200))

start owner "$OWNER_BIN" --config ring.json --file input.bin --log-format json
wait_for_event owner.log 30 listening > /dev/null
# Peer 5 says hello and then nothing: its session stays open, holding its first deal.
exec 3<>"/dev/tcp/127.0.0.1/${ports[0]}"
frame '{"type":"hello","version":1,"peer_id":5}' >&3
wait_for_event owner.log 10 list_sent "to=peer 5" count=20 > /dev/null

for id in 1 2 3 4; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
for id in 1 2 3 4; do wait_for_event "peer$id.log" 60 share_held > /dev/null; done
# The owner is still running, so its batched log is waited for, not read at once.
wait_for_event owner.log 10 share_extended "behind=peer 5" > /dev/null
taken=0
for id in 1 2 3 4; do
    taken=$((taken + $("$EVENTS_PYTHON" "$EVENTS_PY" show "peer$id.log" share_held |
        "$EVENTS_PYTHON" -c 'import json, sys; print(sum(json.loads(line)["share"] for line in sys.stdin))')))
done
((taken == 180)) || fail "peers 1-4 drew $taken chunks from the owner, expected 180 (all but the stalled first deal)"
echo "ok: peers 1-4 drew 180 chunks, the 20 left of the stalled peer's share among them"

start peer5 "$PEER_BIN" --config ring.json --id 5 --log-format json
wait_ok peer1 peer2 peer3 peer4 peer5 owner
exec 3>&-
(($(event_count peer5.log list_received from=owner count=20) > 0)) || fail "peer 5 was not offered the stalled slot's 20 chunks"
(($(event_count peer5.log share_held share=20) == 1)) || fail "peer 5 did not hold its 20 chunks"
check_file input.bin data/peer-{1..5}/input.bin
echo "ok: the stalled slot's first deal went to its peer; every copy identical"
