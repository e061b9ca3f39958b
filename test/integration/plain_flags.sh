#!/usr/bin/env bash
# The seed's plain form: no config, just the owner's port, each peer's port and its download neighbour's port.
source "$(dirname "$0")/lib.sh"

mapfile -t p < <(free_ports 6)
owner_port=${p[0]}
make_file input.bin $((102400 * 12 + 777))

start owner "$OWNER_BIN" --port "$owner_port" --file input.bin --peers 5 --data-dir owner-data
for i in 1 2 3 4 5; do
    download=$((i == 1 ? 5 : i - 1))
    start "peer$i" "$PEER_BIN" --owner-port "$owner_port" --port "${p[i]}" --download-port "${p[download]}" \
        --data-dir "peer$i-data"
    sleep 0.2
done
wait_ok peer{1..5} owner
check_file input.bin peer{1..5}-data/input.bin
check_events peer{1..5}.log
