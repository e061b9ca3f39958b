#!/usr/bin/env bash
# A peer killed for good mid-transfer and started again after the others moved on: the owner gives
# up on it within seconds of its presence dropping (not give_up_s), takes it back when it returns,
# waits for it, and every process, the returned peer too, ends with the file and exit 0 (its
# downstream, on a detour, comes back to it once the detour has nothing more to give).
source "$(dirname "$0")/lib.sh"

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"
# give_up_s far beyond the test: an owner that waited for it, not for the dropped presence, fails.
sed -i 's/"give_up_s": 10/"give_up_s": 600/' ring.json
# The same size under the sanitizers: the 2 MB/s caps, not the CPU, set the pace.
mib=24
make_file input.bin $((mib * 1024 * 1024 + 4321))
# Every upload capped at 2 MB/s, the owner's too (else it helps the others finish at once), so
# the others are still at work when peer 3 returns on any machine: the file alone takes 12 s to
# leave the owner.
cap=(--max-upload-rate 2M)

start owner "$OWNER_BIN" --config ring.json --file input.bin --log-format json "${cap[@]}"
wait_for_event owner.log 30 listening > /dev/null
for id in 1 2 3 4 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json "${cap[@]}"; done
# Mid-transfer, trading (its presence open): once peer 3 has a chunk from another peer, whichever
# (under a sanitizer and load, peer 3 may have routed around a peer 2 slow to answer hello, and
# peer 4 around peer 3).
# Peer 4 connected to it first: a neighbour never reached is a different case (gone after
# neighbor_connect_timeout_s, loopback_test).
wait_for_event peer3.log 60 chunk_received from!=owner > /dev/null
wait_for_event peer4.log 60 connected to="peer 3" > /dev/null
crash peer3
wait_for_event owner.log 60 peer_given_up peer="peer 3" reason=lost > /dev/null
# Back only once its downstream has moved on (routed around it): the owner deals the returned peer
# the rest of its share, which nobody else holds, so peer 4 must come back to it (or to the owner).
wait_for_event peer4.log 60 rerouted gone="peer 3" > /dev/null
[[ -z "$(event_time owner.log swarm_whole)" ]] || fail "the others had finished before peer 3 could return; a larger file is needed"
mv peer3.log peer3-first.log
start peer3 "$PEER_BIN" --config ring.json --id 3 --log-format json "${cap[@]}"
wait_ok peer1 peer2 peer3 peer4 peer5 owner
for id in 1 2 3 4 5; do check_file input.bin "data/peer-$id/input.bin" > /dev/null; done
given_up=$(event_time owner.log peer_given_up peer="peer 3")
back=$(event_time owner.log peer_back peer=3)
complete=$(event_time owner.log peer_complete peer=3)
[[ -n "$back" ]] || fail "the owner did not take peer 3 back"
[[ -n "$complete" ]] || fail "the owner did not hear that the returned peer 3 is complete"
[[ -n "$(event_time owner.log swarm_whole complete=5 given_up=0)" ]] ||
    fail "the owner's swarm_whole does not count five complete and none given up"
echo "ok: peer 3 given up on, back $(seconds_between "$given_up" "$back") s later, complete" \
    "$(seconds_between "$back" "$complete") s after that; all five copies byte-identical, every process exited 0"
