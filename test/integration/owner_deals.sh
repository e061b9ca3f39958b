#!/usr/bin/env bash
# The owner deals each share as its peer draws it, so a peer that stalls keeps only its first deal:
# the peers that have drawn their own shares take over the rest of its share, and when the stalled
# peer's real process comes, it is offered exactly what was dealt to that slot.
source "$(dirname "$0")/lib.sh"

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"
# 200 chunks, 40 per share; the first deal is a request window and a quarter: 16 + 4 = 20.
make_file input.bin $((102400 * 200))

start owner "$OWNER_BIN" --config ring.json --file input.bin
wait_for_line owner.log listening
# Peer 5 says hello and then nothing: its session stays open, holding its first deal.
exec 3<>"/dev/tcp/127.0.0.1/${ports[0]}"
frame '{"type":"hello","version":1,"peer_id":5}' >&3
wait_for_line owner.log "sent chunk ID list to peer 5: 20 chunk(s)"

for id in 1 2 3 4; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id"; done
for id in 1 2 3 4; do wait_for_line "peer$id.log" "holds its share"; done
# The owner is still running, so its batched log is waited for, not read at once.
expect_lines owner.log "so it also draws from what is left of peer 5's"
taken=0
for n in $(sed -n 's/.*holds its share from the owner: \([0-9]*\) chunk.*/\1/p' peer{1..4}.log); do taken=$((taken + n)); done
((taken == 180)) || fail "peers 1-4 drew $taken chunks from the owner, expected 180 (all but the stalled first deal)"
echo "ok: peers 1-4 drew 180 chunks, the 20 left of the stalled peer's share among them"

start peer5 "$PEER_BIN" --config ring.json --id 5
wait_ok peer1 peer2 peer3 peer4 peer5 owner
exec 3>&-
grep -q "received chunk ID list from owner: 20 chunk(s)" peer5.log || fail "peer 5 was not offered the stalled slot's 20 chunks"
grep -q "holds its share from the owner: 20 chunk(s)" peer5.log || fail "peer 5 did not hold its 20 chunks"
check_file input.bin data/peer-{1..5}/input.bin
echo "ok: the stalled slot's first deal went to its peer; every copy identical"
