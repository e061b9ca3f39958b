#!/usr/bin/env bash
# A neighbour that misbehaves about chunk 4, played by test/integration/hostile_peer.cpp against a
# real peer and owner. Damaged or listed-but-missing: the victim refuses it every time, says "try N
# of 3", then gets the chunk from the owner (without the owner it exits 1 naming the chunk).
# Repeated or unrequested chunks: refused (never stored), logged, and the victim still finishes.
source "$(dirname "$0")/lib.sh"
: "${HOSTILE_PEER_BIN:?}"

mapfile -t ports < <(free_ports 3)
# Peer 1 (the hostile helper) and peer 2 (the victim) download from each other. No helpers: the
# owner as the victim's helper would bring chunk 4 before the tries this test counts.
cat > ring.json <<JSON
{ "owner": { "port": ${ports[0]} }, "data_dir": "$WORK/data", "settings": { "helpers": false },
  "peers": [ { "id": 1, "port": ${ports[1]}, "download_neighbor": 2 },
             { "id": 2, "port": ${ports[2]}, "download_neighbor": 1 } ] }
JSON
make_file input.bin $((102400 * 12 + 3))

# round MODE OWNER: a fresh owner and victim; once the victim holds its share (the odd chunks),
# the owner stays ("keep") or is killed ("kill"), and the helper serves chunk 4 bad in MODE.
round() {
    rm -rf data hostile ./*.log
    start owner "$OWNER_BIN" --config ring.json --file input.bin --linger --log-format json
    start victim "$PEER_BIN" --config ring.json --id 2 --log-format json
    wait_for_event victim.log 60 share_held > /dev/null
    [[ $2 == kill ]] && crash owner
    start hostile "$HOSTILE_PEER_BIN" --config ring.json --id 1 --file input.bin --chunk 4 --mode "$1" \
        --data-dir "$WORK/hostile"
}

round damage keep
wait_ok victim hostile
check_file input.bin data/peer-2/input.bin
for try in 1 2 3; do wait_for_event victim.log 10 chunk_failed chunk=4 "from=peer 1" why=hash try=$try > /dev/null; done
wait_for_event victim.log 10 chunk_to_owner chunk=4 "from=peer 1" tries=3 > /dev/null
wait_for_event victim.log 10 chunk_received chunk=4 from=owner > /dev/null
# The rescue for a chunk no neighbour can give (around no gone peer).
wait_for_event owner.log 10 rescue_offered peer=2 around= > /dev/null
(($(event_count victim.log chunk_received chunk=4 "from=peer 1") == 0)) || fail "the damaged chunk was accepted"
echo "ok: the damaged chunk was refused three times and fetched from the owner"
crash owner

round missing keep
wait_ok victim hostile
check_file input.bin data/peer-2/input.bin
wait_for_event victim.log 10 chunk_failed chunk=4 "from=peer 1" why=unserved try=2 > /dev/null
wait_for_event victim.log 10 chunk_to_owner chunk=4 "from=peer 1" tries=3 > /dev/null
echo "ok: a chunk listed but never served was fetched from the owner"
crash owner

round damage kill
status=0
wait "${PID_OF[victim]}" || status=$?
((status == 1)) || fail "the victim exited with $status, expected 1"
expect_lines victim.log "chunk(s) [4] cannot be had: peer 1 keeps sending them damaged, and the owner could not help"
echo "ok: without the owner the victim exits 1 and names chunk 4"
crash hostile  # its victim is gone, so it would wait for ever

for mode in repeat unrequested; do
    round "$mode" keep
    wait_ok victim hostile
    check_file input.bin data/peer-2/input.bin
    wait_for_event victim.log 10 chunk_unrequested "from=peer 1" > /dev/null
    # The victim's last report (complete) comes after any rescue the owner served it.
    wait_for_event owner.log 10 peer_complete peer=2 > /dev/null
    (($(event_count owner.log rescue_offered) == 0)) || fail "$mode: the owner was asked for help it should not be needed for"
    echo "ok: $mode chunks were refused and the victim still finished"
    crash owner
done
