#!/usr/bin/env bash
# Pinned content: a peer given the content id (--expect, or the config's content_id) refuses a
# manifest for anything else, exits non-zero and joins nothing; given the right id (the 16-digit
# prefix the owner's log shows, or all 64 digits) it completes as usual. A malformed id is one line
# and exit 2.
source "$(dirname "$0")/lib.sh"

mapfile -t ports < <(free_ports 4)
ring_config ring.json 102400 "${ports[@]}"
make_file input.bin $((700 * 1024 + 5))
make_file other.bin $((700 * 1024 + 5))

# content_id_of FILE: the full content id the owner's split event gives for FILE.
content_id_of() {
    rm -rf data
    start "split-$1" "$OWNER_BIN" --config ring.json --file "$1" --log-format json
    wait_for_event "split-$1.log" 30 split | "$EVENTS_PYTHON" -c 'import json, sys; print(json.loads(sys.stdin.read())["content_id"])'
    kill "${PID_OF[split-$1]}" 2>/dev/null || true
    wait "${PID_OF[split-$1]}" 2>/dev/null || true
}
want=$(content_id_of input.bin)
[[ "$want" =~ ^[0-9a-f]{64}$ ]] || fail "the owner's split event gave no 64-digit content_id (got '$want')"
echo "content id of input.bin: $want"
other=$(content_id_of other.bin)
[[ "$other" =~ ^[0-9a-f]{64}$ && "$other" != "$want" ]] || fail "no distinct content id for other.bin (got '$other')"

# The owner serves other.bin; the peers expect input.bin's id.
rm -rf data
start owner-other "$OWNER_BIN" --config ring.json --file other.bin --log-format json
wait_for_event owner-other.log 30 listening > /dev/null
for id in 1 2 3; do start "wrong$id" "$PEER_BIN" --config ring.json --id "$id" --expect "${want:0:16}" --log-format json; done
for id in 1 2 3; do
    status=0
    wait "${PID_OF[wrong$id]}" || status=$?
    ((status != 0 && status != 124)) || fail "peer $id exited with status $status, not an error, given the wrong content"
    wait_for_event "wrong$id.log" 5 content_refused expected="${want:0:16}" > /dev/null
    [[ ! -e "data/peer-$id/other.bin" ]] || fail "peer $id joined other.bin although it expected another content id"
done
echo "ok: peers expecting another content id refused other.bin and exited non-zero"
kill "${PID_OF[owner-other]}" 2>/dev/null || true
wait "${PID_OF[owner-other]}" 2>/dev/null || true

# The right id: from the config (all 64 digits) for peers 1 and 2, the flag (a prefix) for peer 3.
"$EVENTS_PYTHON" - "$want" << 'PY'
import json, sys
config = json.load(open("ring.json"))
config["content_id"] = sys.argv[1].upper()
json.dump(config, open("pinned.json", "w"))
PY
rm -rf data
start owner "$OWNER_BIN" --config pinned.json --file input.bin --log-format json
for id in 1 2; do start "peer$id" "$PEER_BIN" --config pinned.json --id "$id" --log-format json; done
start peer3 "$PEER_BIN" --config ring.json --id 3 --expect "${want:0:20}" --log-format json
wait_ok owner peer1 peer2 peer3
check_file input.bin data/peer-{1,2,3}/input.bin
for id in 1 2 3; do
    [[ "$(event_count "peer$id.log" content_refused)" == 0 ]] || fail "peer $id refused the content it expected"
done

# A data directory that holds another content (input.bin's) is refused at start with a pin for
# other.bin, before the owner is asked.
status=0
"$PEER_BIN" --config ring.json --id 1 --expect "$other" --log-format json > resumed.log 2>&1 || status=$?
((status == 1)) || fail "a peer whose directory holds another content exited $status, not 1"
wait_for_event resumed.log 5 content_refused expected="$other" > /dev/null
grep -q "give this peer another --data-dir" resumed.log || fail "the refusal on resume names no fix: $(cat resumed.log)"
echo "ok: a data directory holding another content is refused at start"

# Malformed ids: one line, exit 2, before anything starts.
for bad in abc "${want:0:15}" "zz${want:2:30}" "${want}0"; do
    status=0
    "$PEER_BIN" --config ring.json --id 1 --expect "$bad" > bad.out 2>&1 || status=$?
    ((status == 2)) || fail "--expect '$bad' exited $status, not 2"
    [[ $(wc -l < bad.out) == 1 ]] && grep -q "must be 16 to 64 hex digits" bad.out || fail "--expect '$bad': $(cat bad.out)"
done
"$EVENTS_PYTHON" -c 'import json; c = json.load(open("ring.json")); c["content_id"] = "xyz"; json.dump(c, open("bad.json", "w"))'
status=0
"$PEER_BIN" --config bad.json --id 1 > bad.out 2>&1 || status=$?
((status == 2)) && grep -q "content_id: content id 'xyz' must be" bad.out || fail "a bad content_id in the config: status $status: $(cat bad.out)"
echo "ok: malformed content ids are refused with one line and exit 2"

# The launcher passes --expect to every peer it starts: serving input.bin against other.bin's id,
# every peer refuses it and the launcher fails; a malformed id is refused before anything starts.
status=0
"${SWARM_BIN:?}" --config ring.json --file input.bin --work "$WORK/launched" --display quiet --timeout 120 \
    --expect "${other:0:16}" > launched.out 2>&1 || status=$?
((status == 1)) || fail "the launcher with another content's id exited $status, not 1: $(tail -n 5 launched.out)"
for id in 1 2 3; do
    wait_for_event "$WORK/launched/logs/peer-$id.events.jsonl" 5 content_refused expected="${other:0:16}" > /dev/null
done
status=0
"$SWARM_BIN" --config ring.json --work "$WORK/launched-bad" --expect xyz > bad.out 2>&1 || status=$?
((status == 2)) && grep -q "expect: content id 'xyz' must be" bad.out || fail "swarm --expect xyz: status $status: $(cat bad.out)"
echo "ok: the launcher passes --expect to every peer"
echo "ok: pinned content"
