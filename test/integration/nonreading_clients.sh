#!/usr/bin/env bash
# Clients that ask for chunks and never read them do not bloat the owner or starve real peers.
# Without a secret anyone may say it is any peer: 1,000 connections, as peers 1-5 asking for a
# rescue, request every chunk and read nothing (a tiny receive buffer, so the owner, not the
# kernel, would hold what they do not read). The owner replaces each peer's older connection of
# that kind, refuses connections beyond max_sessions (code overloaded), and closes a client that
# reads nothing for give_up_s. The real peers, started beside them, complete with byte-identical
# copies, and the owner's peak memory stays under 64 MiB (its `resources` event).
source "$(dirname "$0")/lib.sh"

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"
make_file input.bin $((20 * 1024 * 1024 + 77))
chunks=$(((20 * 1024 * 1024 + 77 + 102399) / 102400))

start owner "$OWNER_BIN" --config ring.json --file input.bin --log-format json
wait_for_event owner.log 30 listening > /dev/null

cat > hoarders.py << 'PY'
import socket, sys, time
from fake_owner import frame

port, chunks, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
held, refused = [], 0
for i in range(count):
    conn = socket.socket()
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        conn.connect(("127.0.0.1", port))
        conn.sendall(frame({"type": "hello", "version": 1, "peer_id": 1 + i % 5, "rescue": True}) +
                     frame({"type": "request", "ids": list(range(min(chunks, 1024)))}))
        held.append(conn)
    except OSError:
        refused += 1
        conn.close()
print(f"opened {len(held)} non-reading connections ({refused} failed)", flush=True)
time.sleep(600)  # the test ends this process
PY
start hoarders "$EVENTS_PYTHON" hoarders.py "${ports[0]}" "$chunks" 1000
wait_for_line hoarders.log "opened" 120
cat hoarders.log

for id in 1 2 3 4 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
wait_ok owner peer1 peer2 peer3 peer4 peer5
check_file input.bin data/peer-{1..5}/input.bin
kill "$(program_pid hoarders)" 2> /dev/null || true

peak_kib=$("$EVENTS_PYTHON" "$EVENTS_PY" show owner.log resources | "$EVENTS_PYTHON" -c 'import json, sys; print(json.loads(sys.stdin.readline())["peak_kib"])')
echo "owner: peak memory $((peak_kib / 1024)) MiB; $(event_count owner.log overloaded) overloaded spell(s)," \
    "$(event_count owner.log client_stalled) client(s) closed for reading nothing"
((peak_kib < 64 * 1024)) || fail "the owner's peak memory was $((peak_kib / 1024)) MiB with 1,000 non-reading clients"
[[ -n "$(event_time owner.log swarm_whole complete=5 given_up=0)" ]] || fail "the owner's swarm_whole is not 5 complete"
echo "ok: 1,000 non-reading clients; the owner stayed under 64 MiB and the real peers completed"
