#!/usr/bin/env bash
# A peer or the owner killed with SIGKILL and started again with the same command picks up where it was:
# chunks that still verify count, damaged or half-written ones are fetched again, and the swarm
# completes. A peer with the owner still there, a peer after the owner has left, then the owner.
source "$(dirname "$0")/lib.sh"

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"
make_file input.bin $((102400 * 40 + 17))
chunks=data/peer-3/chunks

# 1. With the owner up. Peer 2 is held back, so peer 3 (which downloads from peer 2) holds just its
#    share from the owner when it is killed, and the owner cannot finish without peer 2.
start owner "$OWNER_BIN" --config ring.json --file input.bin --log-format json
for id in 1 3 4 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
wait_for_event peer3.log 60 share_held > /dev/null
crash peer3
held=$(grep -cv '^#' data/peer-3/summary.txt)
# As after a crash mid-write: one chunk damaged in place, one half-written temporary file.
first=$(ls "$chunks" | head -n 1)
printf 'garbage' | dd of="$chunks/$first" bs=1 seek=100 conv=notrunc status=none
head -c 5000 /dev/urandom > "$chunks/chunk-000099.tmp"
start peer3b "$PEER_BIN" --config ring.json --id 3 --log-format json
wait_for_event peer3b.log 30 resumed from=chunk_files held=$((held - 1)) total=41 dropped=1 > /dev/null
start peer2 "$PEER_BIN" --config ring.json --id 2 --log-format json
wait_ok peer1 peer2 peer3b peer4 peer5 owner
[[ ! -e "$chunks/chunk-000099.tmp" ]] || fail "the half-written chunk was not removed"
check_file input.bin data/peer-{1..5}/input.bin
echo "ok: peer 3 resumed with the owner up"

# 2. After the owner has gone. Peer 1 is frozen once it has its share, so nobody else can finish;
#    the owner is killed once every share is delivered; then peer 2 is killed and restarted. Here
#    nobody routes around a peer or leaves early (long neighbor_gone_s and idle_exit_s), so this
#    is resuming alone: with the owner gone as well, a peer routed around and left behind by peers
#    that finished and left could not finish (docs/reliability.md).
rm -rf data ./*.log
sed 's/"neighbor_gone_s": 3, "give_up_s": 10, "idle_exit_s": 6/"neighbor_gone_s": 60, "give_up_s": 60, "idle_exit_s": 60/' \
    ring.json > patient.json
grep -q '"idle_exit_s": 60' patient.json || fail "could not lengthen the timeouts in the config"
start owner2 "$OWNER_BIN" --config patient.json --file input.bin --log-format json
start peer1 "$PEER_BIN" --config patient.json --id 1 --log-format json
wait_for_event peer1.log 60 share_held > /dev/null
kill -STOP "$(program_pid peer1)"
for id in 2 3 4 5; do start "peer$id" "$PEER_BIN" --config patient.json --id "$id" --log-format json; done
wait_for_event owner2.log 60 peer_served served=5 > /dev/null
crash owner2
crash peer2
start peer2b "$PEER_BIN" --config patient.json --id 2 --log-format json
wait_for_event peer2b.log 60 owner_lost > /dev/null
kill -CONT "$(program_pid peer1)"
wait_ok peer1 peer2b peer3 peer4 peer5
check_file input.bin data/peer-{1..5}/input.bin
echo "ok: peer 2 resumed after the owner had left"

# 3. The owner, killed once its chunk files are stored and started again, keeps the chunk files that still match.
rm -rf data ./*.log
start owner3 "$OWNER_BIN" --config ring.json --file input.bin --linger --log-format json
wait_for_event owner3.log 60 chunk_files total=41 > /dev/null
crash owner3
rm data/owner/chunks/chunk-000007
start owner4 "$OWNER_BIN" --config ring.json --file input.bin --log-format json
wait_for_event owner4.log 60 chunk_files total=41 kept=40 > /dev/null
for id in 1 2 3 4 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
wait_ok peer1 peer2 peer3 peer4 peer5 owner4
check_file input.bin data/peer-{1..5}/input.bin
echo "ok: the restarted owner reused its split"

# 4. The same data directories, another file: the owner is the authority, so every peer starts over.
make_file other.bin $((102400 * 7 + 5))
rm -rf ./*.log data/owner
start owner5 "$OWNER_BIN" --config ring.json --file other.bin --log-format json
for id in 1 2 3 4 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
wait_ok peer1 peer2 peer3 peer4 peer5 owner5
check_file other.bin data/peer-{1..5}/other.bin
check_file input.bin data/peer-{1..5}/input.bin
(($(event_count peer3.log started_over held_file=input.bin file=other.bin) == 1)) || fail "peer 3 did not say it starts over"
echo "ok: a new file in old data directories starts over and keeps the earlier file"

# 5. The same name and size, other bytes in the last chunk (the file was edited in place): every
#    peer finds out from the owner's chunk hashes, drops what it held and fetches the new content.
#    Whether a peer sees the hashes stream in or the whole manifest at once depends on how soon it
#    connects; either way it must end with the new bytes.
rm -rf ./*.log data/owner
printf 'edited' | dd of=other.bin bs=1 seek=$((102400 * 7)) conv=notrunc status=none
start owner6 "$OWNER_BIN" --config ring.json --file other.bin --log-format json
for id in 1 2 3 4 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
wait_ok peer1 peer2 peer3 peer4 peer5 owner6
check_file other.bin data/peer-{1..5}/other.bin
for id in 1 2 3 4 5; do
    (($(event_count "peer$id.log" hash_changed) + $(event_count "peer$id.log" started_over file=other.bin) > 0)) ||
        fail "peer $id did not say its copy was of an older file"
done
echo "ok: a file edited in place (same name and size) is fetched again"

# 6. The same, with the owner's hashes streamed in (deterministic: a fake owner). A peer resumed on
#    part 5's directory is sent a manifest holding the first two chunk hashes, then chunks 2..5's
#    with chunk 5's changed: it says which chunk differs, drops what it held (its manifest.json and
#    chunk files, as the new manifest is not whole yet) and asks the owner again.
owner_port=$(free_ports 1)
python3 - "$owner_port" data/peer-1/manifest.json > fake.out 2>&1 << 'PY' &
import json, sys
from fake_owner import accept_hello, frame, listen, read_until_error
port, saved = int(sys.argv[1]), json.load(open(sys.argv[2]))
hashes = [bytes.fromhex(h) for h in saved["chunk_sha256"]]
hashes[5] = bytes(b ^ 0xFF for b in hashes[5])
count = saved["chunk_count"]
server = listen(port)
conn = accept_hello(server)
manifest = {k: saved[k] for k in ("file_name", "file_size", "chunk_size", "chunk_count")}
conn.sendall(frame(dict(manifest, type="manifest", hashed=2), b"".join(hashes[:2])))
conn.sendall(frame({"type": "have_list", "count": 0}, bytes((count + 7) // 8)))
conn.sendall(frame({"type": "hashes", "first": 2}, b"".join(hashes[2:6])))
got_error, reply = read_until_error(conn)
print("error frame" if got_error else "no error frame: %r" % reply[:200], flush=True)
accept_hello(server)
print("asked again", flush=True)
PY
fake=$!
STARTED_PIDS+=("$fake")
wait_for_line fake.out listening
[[ -e data/peer-1/manifest.json && -n "$(ls data/peer-1/chunks)" ]] || fail "part 5 left no resumable directory"
start streamed "$PEER_BIN" --owner-port "$owner_port" --port "$(free_ports 1)" --download-port 1 --data-dir data/peer-1 --log-format json
wait_for_line fake.out "asked again" 30
kill "${PID_OF[streamed]}" 2> /dev/null || true
wait "${PID_OF[streamed]}" 2> /dev/null || true
wait "$fake" || true
grep -q "^error frame" fake.out || fail "the peer sent no error frame: $(cat fake.out)"
wait_for_event streamed.log 10 hash_changed chunk=5 > /dev/null
[[ ! -e data/peer-1/manifest.json ]] || fail "the old manifest.json was kept"
[[ -z "$(ls data/peer-1/chunks)" ]] || fail "the old chunk files were kept"
echo "ok: a changed chunk hash streamed in makes a resumed peer drop its copy and ask again"
