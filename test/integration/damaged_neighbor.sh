#!/usr/bin/env bash
# A neighbour whose copy of a chunk is damaged, or missing though listed: the victim refuses it
# every time, says "try N of 3", then gets the chunk from the owner; its file is exact. Without
# the owner, it exits non-zero and says which chunk could not be had.
source "$(dirname "$0")/lib.sh"
: "${DAMAGING_PEER_BIN:?}"

mapfile -t ports < <(free_ports 3)
# Peer 1 (the damaging helper) and peer 2 (the victim) download from each other.
cat > ring.json <<JSON
{ "owner": { "port": ${ports[0]} }, "data_dir": "$WORK/data",
  "peers": [ { "id": 1, "port": ${ports[1]}, "download_neighbor": 2 },
             { "id": 2, "port": ${ports[2]}, "download_neighbor": 1 } ] }
JSON
make_file input.bin $((102400 * 12 + 3))

# Peer 2's share is the odd chunks; chunk 4 comes from peer 1, damaged.
start owner "$OWNER_BIN" --config ring.json --file input.bin --linger
start victim "$PEER_BIN" --config ring.json --id 2
wait_for_line victim.log "holds its share"
start damager "$DAMAGING_PEER_BIN" --config ring.json --id 1 --file input.bin --damage 4 --data-dir "$WORK/damager"
wait_ok victim damager
check_file input.bin data/peer-2/input.bin
for line in "chunk 4 from peer 1 failed its SHA-256 check (try 1 of 3)" \
    "chunk 4 from peer 1 failed its SHA-256 check (try 2 of 3)" \
    "chunk 4 from peer 1 failed its SHA-256 check 3 times; asking the owner for it instead" \
    "received chunk 4 from owner"; do
    grep -qF "$line" victim.log || fail "victim.log lacks: $line"
done
grep -q "offering it every chunk" owner.log || fail "the owner did not serve the rescue"
! grep -q "received chunk 4 from peer 1" victim.log || fail "the damaged chunk was accepted"
echo "ok: the damaged chunk was refused three times and fetched from the owner"
crash owner

# A neighbour that lists chunk 4 but cannot serve it: each error counts as a failed try.
rm -rf data damager ./*.log
start owner "$OWNER_BIN" --config ring.json --file input.bin --linger
start victim "$PEER_BIN" --config ring.json --id 2
wait_for_line victim.log "holds its share"
start damager "$DAMAGING_PEER_BIN" --config ring.json --id 1 --file input.bin --damage 4 --mode missing \
    --data-dir "$WORK/damager"
wait_ok victim damager
check_file input.bin data/peer-2/input.bin
grep -qF "chunk 4 from peer 1 could not be served (try 2 of 3)" victim.log || fail "the victim did not count the errors"
grep -qF "chunk 4 from peer 1 could not be served 3 times; asking the owner for it instead" victim.log ||
    fail "the victim did not turn to the owner"
echo "ok: a chunk listed but never served was fetched from the owner"
crash owner

# Without the owner: a clear failure, not a hang.
rm -rf data damager ./*.log
start owner "$OWNER_BIN" --config ring.json --file input.bin --linger
start victim "$PEER_BIN" --config ring.json --id 2
wait_for_line victim.log "holds its share"
crash owner
start damager "$DAMAGING_PEER_BIN" --config ring.json --id 1 --file input.bin --damage 4 --data-dir "$WORK/damager"
status=0
wait "${PID_OF[victim]}" || status=$?
((status == 1)) || fail "the victim exited with $status, expected 1"
grep -q "chunk(s) \[4\] cannot be had: peer 1 keeps sending them damaged, and the owner could not help" victim.log ||
    fail "the victim did not say which chunk could not be had"
echo "ok: without the owner the victim exits 1 and names chunk 4"
