#!/usr/bin/env bash
# keep_chunk_files: false — no process writes a chunk file: a peer's chunks go only into the joined
# file (its .part while it grows), which it serves from, and the owner serves from its file;
# every copy is still verified.
source "$(dirname "$0")/lib.sh"

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"
sed -i 's/"settings": {/"settings": { "keep_chunk_files": false,/' ring.json
grep -q '"keep_chunk_files": false' ring.json || fail "could not set keep_chunk_files in the config"
make_file input.bin $((102400 * 40 + 77))

start owner "$OWNER_BIN" --config ring.json --file input.bin --log-format json
for id in 1 2 3 4 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
wait_ok peer{1..5} owner
check_file input.bin data/peer-{1..5}/input.bin
check_events peer{1..5}.log
for id in 1 2 3 4 5; do
    left=$(find "data/peer-$id/chunks" -type f | wc -l)
    ((left == 0)) || fail "peer $id kept $left chunk file(s)"
    (($(event_count "peer$id.log" no_chunk_files part="$WORK/data/peer-$id/input.bin.part") == 1)) ||
        fail "peer $id did not say its chunks go only into its .part"
done
[[ -z "$(find data/owner/chunks -type f)" ]] || fail "the owner wrote chunk files"
(($(event_count owner.log split chunk_files=0) == 1)) || fail "the owner did not say it writes no chunk files"
echo "ok: no chunk files written; every copy verified"

# Started again with the owner gone, each peer resumes from its verified joined file alone.
for id in 1 2 3 4 5; do start "again$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
wait_ok again{1..5}
for id in 1 2 3 4 5; do
    (($(event_count "again$id.log" resumed from=joined_file held=41 total=41) == 1)) ||
        fail "peer $id did not resume from its joined file"
done
check_file input.bin data/peer-{1..5}/input.bin
echo "ok: a restarted peer without chunk files resumes from its joined file"

# A peer without chunk files killed mid-way resumes from its .part: the chunks there that still
# verify count (one damaged in place is fetched again). Peer 2 is held back, so peer 3 holds just
# its share when it is killed.
rm -rf data ./*.log
start owner3 "$OWNER_BIN" --config ring.json --file input.bin
for id in 1 3 4 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
wait_for_event peer3.log 60 share_held > /dev/null
crash peer3
held=$(grep -cv '^#' data/peer-3/summary.txt)
first=$(grep -v '^#' data/peer-3/summary.txt | head -n 1)
printf 'garbage' | dd of=data/peer-3/input.bin.part bs=1 seek=$((first * 102400 + 100)) conv=notrunc status=none
start peer3b "$PEER_BIN" --config ring.json --id 3 --log-format json
wait_for_event peer3b.log 30 resumed from=part held=$((held - 1)) total=41 > /dev/null
start peer2 "$PEER_BIN" --config ring.json --id 2
wait_ok peer1 peer2 peer3b peer4 peer5 owner3
check_file input.bin data/peer-{1..5}/input.bin
[[ -z "$(find data/peer-3/chunks -type f)" ]] || fail "peer 3 wrote chunk files"
echo "ok: a peer without chunk files resumed from its .part"
