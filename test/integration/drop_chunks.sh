#!/usr/bin/env bash
# keep_chunk_files: false — every peer still ends with the verified file, its chunk directory is
# empty afterwards, and its upload neighbour (which may finish later) is served from the joined file.
source "$(dirname "$0")/lib.sh"

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"
sed -i 's/"neighbor_connect_timeout_s": 60 }/"neighbor_connect_timeout_s": 60, "keep_chunk_files": false }/' ring.json
grep -q '"keep_chunk_files": false' ring.json || fail "could not set keep_chunk_files in the config"
make_file input.bin $((102400 * 40 + 77))

start owner "$OWNER_BIN" --config ring.json --file input.bin
for id in 1 2 3 4 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id"; done
wait_ok peer{1..5} owner
check_file input.bin data/peer-{1..5}/input.bin
check_events peer{1..5}.log
for id in 1 2 3 4 5; do
    left=$(find "data/peer-$id/chunks" -type f | wc -l)
    ((left == 0)) || fail "peer $id kept $left chunk file(s)"
    grep -q 'dropped [0-9]* chunk file(s)' "peer$id.log" || fail "peer $id did not log dropping its chunk files"
done
[[ -n "$(ls data/owner/chunks)" ]] || fail "the owner's chunk files must stay"
echo "ok: chunk files dropped after the join; every copy verified"

# Started again with the owner gone, each peer resumes from its verified joined file alone.
for id in 1 2 3 4 5; do start "again$id" "$PEER_BIN" --config ring.json --id "$id"; done
wait_ok again{1..5}
for id in 1 2 3 4 5; do
    grep -q 'the joined file is whole and verified' "again$id.log" || fail "peer $id did not resume from its joined file"
done
check_file input.bin data/peer-{1..5}/input.bin
echo "ok: a restarted peer without chunk files resumes from its joined file"
