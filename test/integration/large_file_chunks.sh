#!/usr/bin/env bash
# A file that would make more chunks than the limit gets larger chunks when nobody chose a size:
# the owner says so in one event, and the swarm runs on them. The limit (400,000) is lowered to 20
# through the max_chunks setting, so that a 10 MB file stands for a 50 GB one. A chunk size the
# user gives is kept.
source "$(dirname "$0")/lib.sh"

mapfile -t ports < <(free_ports 4)
ring_config ring.json 102400 "${ports[@]}"
# ring_config writes a chunk_size; this case is the one where none is given.
sed -i '/"chunk_size"/d; s/"idle_exit_s": 6 }/"idle_exit_s": 6, "max_chunks": 20 }/' ring.json
grep -q '"max_chunks": 20' ring.json || fail "could not set max_chunks in ring.json"
! grep -q chunk_size ring.json || fail "ring.json still gives a chunk size"
make_file input.bin $((102400 * 100))

start owner "$OWNER_BIN" --config ring.json --file input.bin --log-format json
for id in 1 2 3; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
wait_ok peer1 peer2 peer3 owner
check_file input.bin data/peer-{1..3}/input.bin
# 10,240,000 bytes in at most 20 chunks: 512,000 bytes each (a multiple of 4 KiB).
wait_for_event owner.log 5 chunk_size_chosen chunk_size=512000 > /dev/null
wait_for_event owner.log 5 split total=20 > /dev/null
# Every receipt counts 20 chunks in all, and the 20 ids all arrived (one may come twice: a chunk
# asked of the neighbour while the owner was still dealing it).
python3 - peer1.log << 'PY' || fail "peer 1 did not receive the 20 chunks of 512,000 bytes"
import json, sys
receipts = [e for e in map(json.loads, filter(lambda l: l.startswith("{"), open(sys.argv[1])))
            if e.get("event") == "chunk_received"]
assert {e["total"] for e in receipts} == {20}, {e["total"] for e in receipts}
assert {e["chunk"] for e in receipts} == set(range(20)), sorted({e["chunk"] for e in receipts})
assert all(e["bytes"] == 512000 for e in receipts), "a chunk of another size"
PY
echo "ok: 100 chunks' worth in 20 chunks of 512,000 bytes, chosen by the owner, every copy identical"

# A chunk size given by the user stays, whatever the limit: 100 chunks.
rm -rf data
sed -i 's/"data_dir"/"chunk_size": 102400,\n  "data_dir"/' ring.json
start owner2 "$OWNER_BIN" --config ring.json --file input.bin --log-format json
for id in 1 2 3; do start "again$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
wait_ok again1 again2 again3 owner2
wait_for_event owner2.log 5 split total=100 > /dev/null
[[ $(event_count owner2.log chunk_size_chosen) == 0 ]] || fail "the owner changed a chunk size the user gave"
check_file input.bin data/peer-{1..3}/input.bin
echo "ok: a chunk size the user gives is kept (100 chunks)"
