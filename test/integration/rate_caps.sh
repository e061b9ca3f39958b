#!/usr/bin/env bash
# max_upload_rate and max_download_rate, end to end: an owner capped at 2 MB/s (from the config)
# and then a peer capped at 1 MB/s for what it receives (from its flag). Each is checked over its
# busiest stretch of a few seconds, from the times and sizes of its own chunk events: within 10 % of the
# cap (so the pipeline does not stall behind it either). The copies stay exact; bad rates are
# refused with the fix.
source "$(dirname "$0")/lib.sh"

# busiest EVENTS EVENT SECONDS: the most bytes the EVENT events (chunk_sent, chunk_received) carry
# within any SECONDS.
busiest() {
    "$EVENTS_PYTHON" - "$1" "$2" "$3" << 'PY'
import sys
from events import epoch, read
events, name, window = sys.argv[1], sys.argv[2], float(sys.argv[3])
moved = [(epoch(event), event["bytes"]) for event in read(events, name, [])]
best = 0
for i, (start, _) in enumerate(moved):
    best = max(best, sum(size for t, size in moved[i:] if t < start + window))
print(best)
PY
}

# within LABEL BYTES RATE SECONDS: BYTES is within 10 % of RATE x SECONDS.
within() {
    local label=$1 bytes=$2 rate=$3 seconds=$4
    python3 -c "import sys; b, r, s = map(float, sys.argv[1:]); sys.exit(0 if 0.9 <= b / (r * s) <= 1.1 else 1)" \
        "$bytes" "$rate" "$seconds" ||
        fail "$label: $bytes bytes in the busiest $seconds s, where the cap of $rate B/s allows $((rate * seconds))"
    echo "ok: $label: $bytes bytes in the busiest $seconds s (cap $rate B/s: $((rate * seconds)))"
}

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"
make_file input.bin $((102400 * 120))
make_file small.bin $((102400 * 80))

# 1. The owner's uploads, capped by its config: 12.3 MB at 2 MB/s.
sed 's/"settings": {/"settings": { "max_upload_rate": 2000000,/' ring.json > owner-capped.json
grep -q '"max_upload_rate": 2000000' owner-capped.json || fail "could not set max_upload_rate in the config"
start owner "$OWNER_BIN" --config owner-capped.json --file input.bin --log-format json
for id in 1 2 3 4 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
wait_ok peer{1..5} owner
check_file input.bin data/peer-{1..5}/input.bin
(($(event_count owner.log rate_capped way=send bytes_per_s=2000000) == 1)) || fail "the owner did not say it sends capped"
within "owner, max_upload_rate 2000000" "$(busiest owner.log chunk_sent 4)" 2000000 4

# 2. Peer 3's downloads, capped by its flag: 8.2 MB at 1 MB/s, whoever sends.
rm -rf data ./*.log
start owner2 "$OWNER_BIN" --config ring.json --file small.bin --log-format json
for id in 1 2 4 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
start peer3 "$PEER_BIN" --config ring.json --id 3 --max-download-rate 1M --log-format json
wait_ok peer{1..5} owner2
check_file small.bin data/peer-{1..5}/small.bin
(($(event_count peer3.log rate_capped way=receive bytes_per_s=1000000) == 1)) || fail "peer 3 did not say it receives capped"
within "peer 3, --max-download-rate 1M" "$(busiest peer3.log chunk_received 5)" 1000000 5

expect_error bad_rate "--max-upload-rate: '5X' has an unknown unit" "$PEER_BIN" --config ring.json --id 1 \
    --max-upload-rate 5X
expect_error slow_rate "--max-download-rate: '99k' is outside 100k" "$PEER_BIN" --config ring.json \
    --id 1 --max-download-rate 99k
