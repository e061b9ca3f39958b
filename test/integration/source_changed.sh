#!/usr/bin/env bash
# The owner's file truncated while it is served: the owner cannot serve the chunks past the new end
# as its manifest describes them, so it says which chunk it could not read and why (to the client it
# was sending it to, in an error frame), closes every client and exits 1, instead of failing the
# same read for ever; the peers, without an owner to finish from, exit 1 with an error line.
source "$(dirname "$0")/lib.sh"

mapfile -t ports < <(free_ports 3)
ring_config ring.json 102400 "${ports[@]}"
sed -i 's/"owner_connect_timeout_s": 60/"owner_connect_timeout_s": 5/' ring.json
grep -q '"owner_connect_timeout_s": 5' ring.json || fail "could not shorten owner_connect_timeout_s in the config"
make_file input.bin $((102400 * 40))

# Capped at 500 kB/s, the owner takes 8 s to send the file: the truncation lands while it serves.
start owner "$OWNER_BIN" --config ring.json --file input.bin --max-upload-rate 500k --log-format json
wait_for_event owner.log 30 split > /dev/null
for id in 1 2; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
wait_for_event owner.log 30 chunk_sent > /dev/null
truncate -s $((102400 * 10)) input.bin
truncated_at=$(date +%s.%N)

status=0
wait "${PID_OF[owner]}" || status=$?
((status == 1)) || fail "the owner exited $status after its file was truncated, not 1"
[[ "$(event_count owner.log source_unreadable)" -ge 1 ]] || fail "the owner logged no source_unreadable event"
# Its last words, the one error line a user reads, name the cause and the fix.
grep -q "^owner: error: .*changed or truncated while being served.*start the owner again" owner.log ||
    fail "the owner's error line does not name the truncation: $(grep '^owner: error' owner.log)"
echo "ok: the owner stopped $(seconds_between "$truncated_at" "$(date +%s.%N)") s after the truncation, naming it"
for id in 1 2; do
    status=0
    wait "${PID_OF[peer$id]}" || status=$?
    ((status == 1)) || fail "peer $id exited $status without the owner, not 1"
    grep -q "^peer $id: error: " "peer$id.log" || fail "peer $id exited 1 without an error line"
    echo "ok: peer $id: $(grep -m1 "^peer $id: error: " "peer$id.log")"
done
