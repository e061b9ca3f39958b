#!/usr/bin/env bash
# max_upload_rate and max_download_rate, end to end: an owner capped at 2 MB/s (from the config)
# and then a peer capped at 1 MB/s for what it receives (from its flag). Each is checked over its
# busiest stretch of a few seconds, from the timestamps of its own chunk lines: within 10 % of the
# cap (so the pipeline does not stall behind it either). The copies stay exact; bad rates are
# refused with the fix.
source "$(dirname "$0")/lib.sh"

# busiest LOG PATTERN SECONDS: the most chunk bytes whose lines match PATTERN within any SECONDS.
busiest() {
    python3 - "$1" "$2" "$3" << 'PY'
import datetime, re, sys
log, pattern, window = sys.argv[1], re.compile(sys.argv[2]), float(sys.argv[3])
times = []
for line in open(log):
    if pattern.search(line):
        stamp = datetime.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S.%f")
        times.append(stamp.timestamp())
best = 0
for i, start in enumerate(times):
    best = max(best, sum(1 for t in times[i:] if t < start + window))
print(best * 102400)
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
start owner "$OWNER_BIN" --config owner-capped.json --file input.bin
for id in 1 2 3 4 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id"; done
wait_ok peer{1..5} owner
check_file input.bin data/peer-{1..5}/input.bin
expect_lines owner.log "sending capped at 2000000 bytes per second, to every client together (max_upload_rate)"
within "owner, max_upload_rate 2000000" "$(busiest owner.log 'sent chunk [0-9]+ to' 4)" 2000000 4

# 2. Peer 3's downloads, capped by its flag: 8.2 MB at 1 MB/s, whoever sends.
rm -rf data ./*.log
start owner2 "$OWNER_BIN" --config ring.json --file small.bin
for id in 1 2 4 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id"; done
start peer3 "$PEER_BIN" --config ring.json --id 3 --max-download-rate 1M
wait_ok peer{1..5} owner2
check_file small.bin data/peer-{1..5}/small.bin
expect_lines peer3.log "receiving capped at 1000000 bytes per second, from the owner and the neighbours together"
within "peer 3, --max-download-rate 1M" "$(busiest peer3.log 'received chunk [0-9]+ from' 5)" 1000000 5

expect_error bad_rate "--max-upload-rate: '5X' has an unknown unit" "$PEER_BIN" --config ring.json --id 1 \
    --max-upload-rate 5X
expect_error slow_rate "--max-download-rate: '99k' is outside 100k" "$PEER_BIN" --config ring.json \
    --id 1 --max-download-rate 99k
