#!/usr/bin/env bash
# A relay on the path between the peers and the owner records every byte and may alter one. With a
# swarm secret the connections are TLS: the record holds neither the file's name nor any 16 bytes
# of the file, and a flipped bit ends that connection (tls_failed) instead of reaching a chunk; the
# peers reconnect and every copy is the owner's file. Without a secret the same record shows both
# (so the check can fail), and the owner says at start that the swarm is unprotected.
source "$(dirname "$0")/lib.sh"

RELAY_PY="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/relay.py"
LEAKED_PY="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/leaked_bytes.py"
mapfile -t ports < <(free_ports 5)
relay_port=${ports[0]} owner_port=${ports[1]}
# The config names the relay as the owner; the owner itself listens on another port.
ring_config ring.json 102400 "$relay_port" "${ports[@]:2}"
name=quarterly-secret-plans.bin
make_file "$name" $((1200 * 1024 + 333))

# run_through_relay TAG [RELAY FLAGS...]: owner, relay and three peers; waits for all to finish.
run_through_relay() {
    local tag=$1
    shift
    rm -rf data
    start "relay-$tag" "$EVENTS_PYTHON" "$RELAY_PY" "$relay_port" "$owner_port" "$tag.record" "$@"
    wait_for_line "relay-$tag.log" relaying
    start "owner-$tag" "$OWNER_BIN" --config ring.json --port "$owner_port" --file "$name" --log-format json
    for id in 1 2 3; do start "peer$id-$tag" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
    wait_ok "owner-$tag" "peer1-$tag" "peer2-$tag" "peer3-$tag"
    check_file "$name" data/peer-{1,2,3}/"$name"
    kill "${PID_OF[relay-$tag]}" 2>/dev/null || true
    wait "${PID_OF[relay-$tag]}" 2>/dev/null || true
}

# leaked TAG WHAT: the count leaked_bytes.py gives for WHAT ("name" or "stretches").
leaked() { "$EVENTS_PYTHON" "$LEAKED_PY" "$name" "$name" "$1.record" | awk -v what="$2" '$1 == what { print $2 }'; }

# Plain protocol: the relay sees everything.
unset CHUNKSWARM_SECRET
run_through_relay plain
wait_for_event owner-plain.log 5 protection tls=off > /dev/null
(($(leaked plain name) > 0)) || fail "the plain record does not show the file name: the check is blind"
(($(leaked plain stretches) > 1000)) || fail "the plain record shows few stretches of the file: the check is blind"
echo "ok: without a secret the relay read the name and $(leaked plain stretches) stretches of the file"

# With a secret: nothing readable crosses the relay.
export CHUNKSWARM_SECRET="tls relay test secret, long enough"
run_through_relay secret
wait_for_event owner-secret.log 5 protection tls=psk > /dev/null
for id in 1 2 3; do wait_for_event "peer$id-secret.log" 5 protection tls=psk > /dev/null; done
[[ "$(leaked secret name)" == 0 ]] || fail "the encrypted record holds the file name"
[[ "$(leaked secret stretches)" == 0 ]] || fail "the encrypted record holds $(leaked secret stretches) stretches of the file"
echo "ok: with a secret the record ($(stat -c %s secret.record) bytes) holds neither the name nor 16 bytes of the file"

# With a secret, one bit flipped well inside what the owner sends (past the handshake, inside the
# chunks): that connection fails its record check; nothing altered is stored.
run_through_relay flip --flip-at 300000
flips=0
for id in 1 2 3; do flips=$((flips + $(event_count "peer$id-flip.log" tls_failed))); done
((flips >= 1)) || fail "no peer logged tls_failed for the flipped bit"
for id in 1 2 3; do
    [[ "$(event_count "peer$id-flip.log" chunk_failed)" == 0 ]] || fail "peer $id took an altered chunk to its hash check"
done
echo "ok: a flipped bit ended its connection ($flips tls_failed), and every copy is the owner's file"
