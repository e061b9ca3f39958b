#!/usr/bin/env bash
# Fifty peers in one ring on this machine, all started at once: every one ends with a byte-identical
# copy and exit 0, each took at least one chunk from the owner (the original brief's first step), and the
# owner says all fifty hold the file, none given up on. A scale check for CI, with a small file.
source "$(dirname "$0")/lib.sh"

n=50
mapfile -t ports < <(free_ports $((n + 1)))
ring_config ring.json 65536 "${ports[@]}"
# 130 chunks: two or three in each peer's share.
make_file input.bin $((65536 * 129 + 777))

started=$(date +%s.%N)
start owner "$OWNER_BIN" --config ring.json --file input.bin --log-format json
for ((id = 1; id <= n; id++)); do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
peers=()
for ((id = 1; id <= n; id++)); do peers+=("peer$id"); done
wait_ok "${peers[@]}" owner
finished=$(date +%s.%N)
for ((id = 1; id <= n; id++)); do
    check_file input.bin "data/peer-$id/input.bin" > /dev/null
    (($(event_count "peer$id.log" chunk_received from=owner) >= 1)) || fail "peer $id took no chunk from the owner"
    (($(event_count "peer$id.log" chunk_received from!=owner) >= 1)) || fail "peer $id took no chunk from a peer"
done
[[ -n "$(event_time owner.log swarm_whole complete=$n given_up=0)" ]] ||
    fail "the owner's swarm_whole does not count $n complete and none given up"
echo "ok: $n peers, every copy byte-identical, every process exited 0, in $(seconds_between "$started" "$finished") s"
