#!/usr/bin/env bash
# Only real peers end the swarm. Without a secret anyone may reach the owner and say it is any
# peer; right after the owner starts, an outsider claims for every peer id that it holds the whole
# file: with "done" (complete) on a dealing connection, then with a report on a presence connection,
# answering the owner's challenge with a made-up proof. Each presence claim gets an error frame
# (code refused) and a claim_refused event; nobody is counted complete and the owner stays. Then
# the real peers come, prove their copies, and the owner ends with all five complete.
source "$(dirname "$0")/lib.sh"

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"
chunks=30
make_file input.bin $((102400 * (chunks - 1) + 5))

start owner "$OWNER_BIN" --config ring.json --file input.bin --log-format json
wait_for_event owner.log 30 listening > /dev/null

"$EVENTS_PYTHON" - "${ports[0]}" "$chunks" > forger.out 2>&1 << 'PY' || fail "the forger: $(cat forger.out)"
import json, os, socket, struct, sys
from fake_owner import frame

port, chunks = int(sys.argv[1]), int(sys.argv[2])

def read_frame(conn):
    head = b""
    while len(head) < 12:
        data = conn.recv(12 - len(head))
        if not data:
            return None
        head += data
    header_length, payload_length = struct.unpack(">II", head[4:12])
    body = b""
    while len(body) < header_length + payload_length:
        data = conn.recv(header_length + payload_length - len(body))
        if not data:
            return None
        body += data
    return json.loads(body[:header_length])

def frames_until(conn, kind):
    while True:
        header = read_frame(conn)
        if header is None or header["type"] == kind:
            return header

hello = {"type": "hello", "version": 1}
for peer in range(1, 6):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(frame({**hello, "peer_id": peer}))
        assert frames_until(conn, "have_list"), f"peer {peer}: no chunk ID list for a dealing hello"
        conn.sendall(frame({"type": "done", "complete": True}))
        while read_frame(conn) is not None:
            pass
for peer in range(1, 6):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(frame({**hello, "peer_id": peer, "presence": True}))
        conn.sendall(frame({"type": "report", "held": chunks, "complete": True}))
        assert frames_until(conn, "challenge"), f"peer {peer}: the owner did not challenge the claim"
        conn.sendall(frame({"type": "possession", "proof": os.urandom(32).hex()}))
        error = frames_until(conn, "error")
        assert error and error.get("code") == "refused", f"peer {peer}: no refusal, got {error}"
        print(f"peer {peer}: claim refused: {error['message']}")
PY
cat forger.out
for id in 1 2 3 4 5; do wait_for_event owner.log 30 claim_refused "peer=$id" > /dev/null; done
kill -0 "$(program_pid owner)" 2> /dev/null || fail "the owner left after forged claims"
[[ "$(event_count owner.log peer_complete)" == 0 ]] ||
    fail "a forged claim counted: $("$EVENTS_PYTHON" "$EVENTS_PY" show owner.log peer_complete)"
echo "ok: 10 forged claims for peers 1-5 ignored; the owner stays"

for id in 1 2 3 4 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
wait_ok owner peer1 peer2 peer3 peer4 peer5
check_file input.bin data/peer-{1..5}/input.bin
[[ -n "$(event_time owner.log swarm_whole complete=5 given_up=0)" ]] || fail "the owner's swarm_whole is not 5 complete"
[[ "$(event_count owner.log peer_complete)" == 5 ]] || fail "not five peer_complete events"
[[ "$(event_count owner.log claim_refused)" == 5 ]] || fail "a real peer's proof was refused"
echo "ok: the real peers proved their copies and the swarm ended"
