#!/usr/bin/env bash
# The original brief's plain form: no config, just the owner's port, each peer's port and its download neighbour's port.
source "$(dirname "$0")/lib.sh"

mapfile -t p < <(free_ports 6)
owner_port=${p[0]}
make_file input.bin $((102400 * 12 + 777))

start owner "$OWNER_BIN" --port "$owner_port" --file input.bin --peers 5 --data-dir owner-data
for i in 1 2 3 4 5; do
    download=$((i == 1 ? 5 : i - 1))
    start "peer$i" "$PEER_BIN" --owner-port "$owner_port" --port "${p[i]}" --download-port "${p[download]}" \
        --data-dir "peer$i-data" --log-format json
    sleep 0.2
done
wait_ok peer{1..5} owner
check_file input.bin peer{1..5}-data/input.bin
check_events peer{1..5}.log
check_seed_order peer{1..5}.log

# The same swarm with a secret, given the way a user should: in the environment, not on the
# command line. An outsider without it (speaking the plain protocol) gets an error and nothing
# else, and takes no share slot.
rm -rf owner-data peer*-data ./*.log
export CHUNKSWARM_SECRET="integration test secret, long enough"
start owner "$OWNER_BIN" --port "$owner_port" --file input.bin --peers 5 --data-dir owner-data --log-format json
wait_for_event owner.log 30 listening > /dev/null
exec 3<>"/dev/tcp/127.0.0.1/$owner_port"
frame '{"type":"hello","version":1,"peer_id":42}' >&3
timeout 5 cat <&3 > outsider.bin || true
exec 3>&-
grep -q "this swarm is encrypted (TLS): give this side the swarm secret" outsider.bin ||
    fail "the outsider did not get the encryption error"
grep -q '"code":"encryption"' outsider.bin || fail "the outsider's error frame has no code \"encryption\""
! grep -q '"manifest"\|"have_list"' outsider.bin || fail "the outsider was sent swarm data"
echo "ok: an outsider without the secret got only an error"
for i in 1 2 3 4 5; do
    download=$((i == 1 ? 5 : i - 1))
    start "peer$i" "$PEER_BIN" --owner-port "$owner_port" --port "${p[i]}" --download-port "${p[download]}" \
        --data-dir "peer$i-data"
done
wait_ok peer{1..5} owner
check_file input.bin peer{1..5}-data/input.bin
wait_for_event owner.log 10 plain_refused > /dev/null
echo "ok: the owner logged the outsider's refusal"
