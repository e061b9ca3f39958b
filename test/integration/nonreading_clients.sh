#!/usr/bin/env bash
# Clients that ask for chunks and never read them do not bloat the owner or starve real peers.
# Without a secret anyone may say it is any peer: 1,000 connections, as peers 1-5 asking for a
# rescue, request every chunk and read nothing (a tiny receive buffer, so the owner, not the
# kernel, would hold what they do not read). The owner replaces each peer's older connection of
# that kind, refuses connections beyond max_sessions (code overloaded), and closes a client that
# reads nothing for give_up_s (client_stalled; the owner lingers to show it). The real peers,
# started beside them, complete with byte-identical copies, and the owner's peak memory stays under
# 64 MiB (on the normal build: a sanitizer's shadow memory multiplies every figure).
source "$(dirname "$0")/lib.sh"

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"
make_file input.bin $((20 * 1024 * 1024 + 77))
chunks=$(((20 * 1024 * 1024 + 77 + 102399) / 102400))

start owner "$OWNER_BIN" --config ring.json --file input.bin --log-format json --linger
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
wait_ok peer1 peer2 peer3 peer4 peer5
check_file input.bin data/peer-{1..5}/input.bin
[[ "$(event_count owner.log peer_complete)" == 5 ]] || fail "the owner did not count five peers complete"
# The last connections of peers 1-5's kind are still there, with chunks waiting for them.
wait_for_event owner.log 60 client_stalled > /dev/null
owner_pid=$(program_pid owner)
peak_kib=$(awk '/^VmHWM:/ { print $2 }' "/proc/$owner_pid/status")
kill -TERM "$owner_pid"
kill "$(program_pid hoarders)" 2> /dev/null || true
echo "owner: peak memory $((peak_kib / 1024)) MiB; $(event_count owner.log overloaded) overloaded spell(s)," \
    "$(event_count owner.log client_stalled) client(s) closed for reading nothing"
if [[ "$(basename "${BUILD_DIR:-build}")" == build ]]; then
    ((peak_kib < 64 * 1024)) || fail "the owner's peak memory was $((peak_kib / 1024)) MiB with 1,000 non-reading clients"
else
    echo "memory bound not checked: $(basename "$BUILD_DIR") is a sanitizer build"
fi
echo "ok: 1,000 non-reading clients; the real peers completed and the owner closed those that read nothing"
