#!/usr/bin/env bash
# The owner's own stall is no evidence against the peers: stopped (SIGSTOP, as a suspended VM or a
# debugger would) mid-transfer for longer than give_up_s, then resumed, it gives up on nobody, the
# swarm completes, and every process exits 0.
source "$(dirname "$0")/lib.sh"

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"
make_file input.bin $((16 * 1024 * 1024 + 11))
pause_s=15  # past the config's give_up_s (10 s)

# The owner's upload capped at 2 MB/s: handing out the shares takes about 8 s, so the stop lands
# while peers still draw from it.
start owner "$OWNER_BIN" --config ring.json --file input.bin --max-upload-rate 2M --log-format json
wait_for_event owner.log 30 listening > /dev/null
for id in 1 2 3 4 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
wait_for_event owner.log 60 chunk_sent > /dev/null
kill -STOP "$(program_pid owner)"
stopped_at=$(date +%s.%N)
sleep "$pause_s"
kill -CONT "$(program_pid owner)"
echo "ok: the owner stopped for $pause_s s mid-transfer, then resumed"
wait_ok peer1 peer2 peer3 peer4 peer5 owner
check_file input.bin data/peer-{1..5}/input.bin
[[ "$(event_count owner.log peer_given_up)" == 0 ]] || fail "the owner gave up on a peer: $(grep peer_given_up owner.log)"
[[ -n "$(event_time owner.log swarm_whole complete=5 given_up=0)" ]] || fail "the owner's swarm_whole is not 5 complete, 0 given up"
[[ "$(event_count owner.log owner_stalled)" -ge 1 ]] || fail "the owner logged no owner_stalled event after its stop"
whole=$(event_time owner.log swarm_whole)
echo "ok: nobody given up on; the owner left $(seconds_between "$stopped_at" "$whole") s after it was stopped"
