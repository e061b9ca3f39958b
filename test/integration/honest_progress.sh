#!/usr/bin/env bash
# Progress counts what a peer holds, from every source. The owner is capped so that its chunks
# come late, between chunks from the ring: every receipt's count must still be the peer's whole
# count (the owner's connection once counted only the chunks it had brought, so a peer went from
# 292/512 to 96/512), and the share's event says how many came from the owner beside the total.
source "$(dirname "$0")/lib.sh"

chunks=80
mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"
make_file input.bin $((102400 * chunks))

# 1.5 MB/s for the five shares of 16 chunks: the last owner chunks come about 5 s in, long after
# the ring began trading.
start owner "$OWNER_BIN" --config ring.json --file input.bin --max-upload-rate 1500000 --log-format json
for id in 1 2 3 4 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
wait_ok peer1 peer2 peer3 peer4 peer5 owner
check_file input.bin data/peer-{1..5}/input.bin

# Each chunk's first receipt stores one more chunk, and its count is taken with it: those counts
# are 1..80, each once, whichever thread logged first (on two threads the log order may differ
# from the order of the stores, so the counts are compared as a set).
status=0
"$EVENTS_PYTHON" - "$chunks" peer{1..5}.log <<'EOF' || status=$?
import json
import sys

total = int(sys.argv[1])
late = 0
for path in sys.argv[2:]:
    events = []
    with open(path, encoding="utf-8") as log:
        for line in log:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                events.append(event)
    receipts = [e for e in events if e.get("event") == "chunk_received"]
    # A chunk may come twice when the owner's and the ring's requests cross (two threads): the
    # second store adds nothing, and its receipt says the count at that time. Each chunk's first
    # store is the one with the lowest count.
    first = {}
    for e in receipts:
        if e["chunk"] not in first or e["held"] < first[e["chunk"]]["held"]:
            first[e["chunk"]] = e
    if len(first) != total:
        sys.exit(f"{path}: {len(first)} distinct chunks received, expected {total}")
    firsts = sorted(first.values(), key=lambda e: e["held"])
    wrong = next((e for k, e in enumerate(firsts, 1) if e["held"] != k or e["total"] != total), None)
    if wrong:
        sys.exit(f"{path}: the receipts' counts are not 1..{total} each once: chunk {wrong['chunk']} from "
                 f"{wrong['from']} says {wrong['held']}/{wrong['total']} held")
    sources = [e["from"] for e in receipts]
    # The case this test is for: a chunk from the owner after one from the ring.
    first_ring = next((i for i, s in enumerate(sources) if s != "owner"), None)
    if first_ring is not None and "owner" in sources[first_ring:]:
        late += 1
    share = [e for e in events if e.get("event") == "share_held"]
    if len(share) != 1:
        sys.exit(f"{path}: {len(share)} share_held events, expected 1")
    owner_chunks = sources.count("owner")
    if share[0]["share"] != owner_chunks or not owner_chunks <= share[0]["held"] <= total:
        sys.exit(f"{path}: share_held says {share[0]['share']} from the owner and {share[0]['held']} held; "
                 f"the receipts show {owner_chunks} from the owner")
if late == 0:
    print("skipped: no peer received an owner chunk after a ring chunk; the case was not set up")
    sys.exit(77)
print(f"ok: every receipt counts the peer's whole holding ({late} of 5 peers took owner chunks late)")
EOF
((status == 77)) && exit 77
((status == 0)) || fail "the counts of what the peers hold are wrong (above)"
