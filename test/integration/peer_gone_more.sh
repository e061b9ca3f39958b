#!/usr/bin/env bash
# More ways a peer can be gone: one that never starts, one paused past the give-up time, a peer
# started again after the swarm has finished, the original brief's plain form (where peers learn the ring
# from each other) with a peer killed, and a file name that is not UTF-8.
source "$(dirname "$0")/lib.sh"

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"
make_file input.bin $((102400 * 120 + 5))
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# A peer that never starts: after give_up_s (10 s here) the owner deals its share to the others,
# and its upload neighbour routes around it.
rm -rf data ./*.log
t0=$(now)
start owner "$OWNER_BIN" --config ring.json --file input.bin --log-format json
for id in 1 2 4 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
wait_ok peer1 peer2 peer4 peer5 owner
check_file input.bin data/peer-{1,2,4,5}/input.bin
(($(event_count owner.log peer_given_up "peer=peer 3") == 1)) || fail "the owner did not give up on peer 3"
(($(event_count owner.log swarm_whole complete=4 given_up=1) == 1)) || fail "the owner's last word does not count peer 3 given up"
echo "ok: peer 3 never started; the others finished in $(since "$t0") s"

# Paused past the give-up time, then resumed: the others route around it and finish, the owner
# gives up on it and leaves; resumed, it finds everyone gone, and either holds the file already or
# exits 1 naming the chunks it lacks (it never waits on anyone gone).
rm -rf data ./*.log
make_file big.bin $((48 * 1024 * 1024 + 3))
start owner "$OWNER_BIN" --config ring.json --file big.bin --log-format json
for id in 1 2 3 4 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
# Once the link from peer 3 to peer 4 carries chunks, so that the pause is felt downstream.
wait_for_event peer4.log 60 chunk_received from="peer 3" > /dev/null
kill -STOP "$(program_pid peer3)"
t0=$(now)
wait_ok peer1 peer2 peer4 peer5
echo "ok: with peer 3 paused, the others finished in $(since "$t0") s"
whole=$(event_time peer3.log joining)
if [[ -n "$whole" ]] && awk -v t="$whole" -v p="$t0" 'BEGIN { exit !(t < p) }'; then
    echo "outcome: peer 3 held every chunk before the pause landed"
else
    reroute_outcome "peer 4" peer4.log "$t0" 3 "peer 2"
    wait_for_event owner.log 30 peer_given_up peer="peer 3" > /dev/null
fi
wait_ok owner
kill -CONT "$(program_pid peer3)"
status=0
wait "${PID_OF[peer3]}" || status=$?
if ((status == 0)); then
    check_file big.bin data/peer-3/big.bin
else
    ((status == 1)) || fail "peer 3 exited with $status after it was resumed"
    expect_lines peer3.log "peer 3: error: " "lacking"
fi
check_file big.bin data/peer-{1,2,4,5}/big.bin
echo "ok: peer 3, resumed, exited $status"

# Started again after the swarm has finished: it sees its verified file and exits 0 in seconds.
t0=$(now)
start again "$PEER_BIN" --config ring.json --id 2 --log-format json
wait_ok again
(($(event_count again.log resumed held=492 total=492) == 1)) || fail "peer 2 did not find its 492 chunks verified"
(($(event_count again.log finished) == 1)) || fail "peer 2 did not say it finished"
echo "ok: peer 2 started after the end exited 0 in $(since "$t0") s"

# The original brief's plain form: peers know only their download neighbour's port and learn the rest.
rm -rf data ./*.log
start owner "$OWNER_BIN" --port "${ports[0]}" --file big.bin --peers 5 --give-up 10 --log-format json
wait_for_event owner.log 30 listening > /dev/null
down() { echo "${ports[$(($1 == 1 ? 5 : $1 - 1))]}"; }
plain_peer() {
    start "peer$1" "$PEER_BIN" --owner-port "${ports[0]}" --port "${ports[$1]}" --download-port "$(down "$1")" \
        --data-dir "data/peer-$1" --log-format json
}
for id in 1 2 3 4 5; do plain_peer "$id"; done
# Peers are named by port here: peer 4 downloads from "peer <peer 3's port>".
wait_for_event peer4.log 60 chunk_received from="peer ${ports[3]}" > /dev/null
crash peer3
t0=$(now)
wait_ok peer1 peer2 peer4 peer5
echo "plain form: the survivors exited $(since "$t0") s after the kill"
wait_ok owner
check_file big.bin data/peer-{1,2,4,5}/big.bin
# 5 s: the default neighbor_gone_s (include/chunkswarm/core/settings.hpp), as the plain form has no config.
reroute_outcome "peer 4" peer4.log "$t0" 5 "peer ${ports[2]}"
echo "ok: plain form, peer 3 killed: peer 4 learnt peer 2 from peer 3 and routed to it"

# A Latin-1 file name (not UTF-8): the peers write exactly the same bytes.
rm -rf data ./*.log
name=$'caf\xe9.bin'
cp input.bin "$name"
start owner "$OWNER_BIN" --config ring.json --file "$name" --log-format json
for id in 1 2 3 4 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
wait_ok peer1 peer2 peer3 peer4 peer5 owner
for id in 1 2 3 4 5; do check_file "$name" "data/peer-$id/$name" > /dev/null; done
echo "ok: a Latin-1 file name went end to end"
