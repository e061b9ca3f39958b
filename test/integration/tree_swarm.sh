#!/usr/bin/env bash
# Whole directory trees: nested and empty directories, empty files, an executable bit, a read-only
# file, UTF-8 and Latin-1 names, symbolic links inside the tree (to a file, to a directory, up a
# level). The launcher distributes one to five peers (every copy the same tree, modes, times and
# links included); a peer killed mid-tree resumes from what it kept; a tree with a link out of it
# is refused by name; and a fake owner's hostile manifests (a bad path of each kind, a link out)
# are refused with an error frame and a log line naming the path, and nothing is written.
source "$(dirname "$0")/lib.sh"
: "${SWARM_BIN:?}"

# make_tree DIR KIB: the tree, its big file KIB kibibytes.
make_tree() {
    mkdir -p "$1/nested/deeper" "$1/empty-dir" "$1/caf"$'\xc3\xa9'
    make_file "$1/nested/deeper/data.bin" $(($2 * 1024))
    make_file "$1/run.sh" 5000
    make_file "$1/caf"$'\xc3\xa9'"/menu.txt" 777
    make_file "$1/latin1-"$'\xe9' 1000
    : > "$1/nested/empty"
    make_file "$1/read-only.txt" 300
    chmod 0755 "$1/run.sh"
    chmod 0444 "$1/read-only.txt"
    chmod 0700 "$1/nested/deeper"
    touch -d '2021-03-04 05:06:07.123456789' "$1/run.sh"
    touch -d '2020-01-02 03:04:05' "$1/nested/deeper"
    ln -s nested/deeper/data.bin "$1/latest"
    ln -s ../run.sh "$1/nested/run-link"
    ln -s nested/deeper "$1/deeper-link"
    touch -h -d '2019-01-01 00:00:00' "$1/latest"
}

# same_tree A B: the same paths, kinds, bytes, permission bits and modification times (ns).
same_tree() {
    python3 - "$1" "$2" << 'PY'
import hashlib, os, sys
def walk(root):
    out = {}
    for dirpath, dirs, files in os.walk(os.fsencode(root)):
        for name in dirs + files:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            if os.path.islink(path):
                digest = b"link " + os.readlink(path)
            elif os.path.isfile(path):
                digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
            else:
                digest = "dir"
            out[os.path.relpath(path, os.fsencode(root))] = (digest, st.st_mode & 0o7777, st.st_mtime_ns)
    return out
a, b = walk(sys.argv[1]), walk(sys.argv[2])
if a != b:
    diff = sorted(set(a.items()) ^ set(b.items()))
    sys.exit(f"{sys.argv[2]} differs from {sys.argv[1]}: {diff[:4]}")
print(f"ok: {sys.argv[2]}: {len(b)} entries, the same bytes, modes and times")
PY
}

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"

# 1. The launcher moves a tree to five peers.
make_tree "$WORK/dataset" 1200
timeout 120 "$SWARM_BIN" --config ring.json --file "$WORK/dataset/" --work "$WORK/run" --display plain \
    > run.out 2>&1 || { cat run.out; fail "the swarm of a tree failed"; }
[[ $(grep -c "OK, SHA-256 matches" run.out) == 5 ]] || { cat run.out; fail "not five verified trees"; }
for id in 1 2 3 4 5; do same_tree "$WORK/dataset" "$WORK/run/peer-$id/dataset" || fail "peer $id's tree differs"; done
ls -a "$WORK/run/peer-3" | grep -q partdir && fail "a staging directory was left behind"

# 2. Peer 3 killed mid-tree (the owner sends at 500 kB/s: 8 s in all) resumes from its chunks.
rm -rf data ./*.log
make_tree "$WORK/big" 4000
start owner "$OWNER_BIN" --config ring.json --file "$WORK/big" --max-upload-rate 500k --log-format json
for id in 1 2 3 4 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
# The capped owner sends 4 chunks to one peer at a time, in turn: peer 3's first 4 arrive between
# 0.8 and 3.6 s, its next 4 about 3.3 s later, and only then may it trade.
for _ in $(seq 300); do
    (($(event_count peer3.log chunk_received) >= 4)) && break
    sleep 0.1
done
crash peer3
held=$(event_count peer3.log chunk_received)
[[ -d data/peer-3/big ]] && fail "peer 3 had its tree in place before it held every chunk"
start peer3-again "$PEER_BIN" --config ring.json --id 3 --log-format json
wait_ok peer1 peer2 peer4 peer5 peer3-again owner
(($(event_count peer3-again.log resumed from=chunk_files) == 1)) || fail "peer 3 did not resume from its chunk files"
(($(event_count peer3-again.log resumed held=0) == 0)) || fail "peer 3 kept none of its $held chunks"
for id in 1 2 3 4 5; do same_tree "$WORK/big" "data/peer-$id/big" || fail "peer $id's tree differs after the restart"; done
echo "ok: peer 3 killed after $held chunk(s) resumed from its chunk files and holds the whole tree"

# 3. A link out of the tree is refused, naming it, before anything is served; so are a tree too
# small to make five chunks and a data directory inside the tree.
mkdir -p "$WORK/linked/sub"
make_file "$WORK/linked/sub/file" 600000
ln -s /etc/passwd "$WORK/linked/sub/escape"
expect_error linked_tree 'linked/sub/escape: tree path "sub/escape" links to "/etc/passwd", an absolute path' \
    "$OWNER_BIN" --config ring.json --file "$WORK/linked" --data-dir "$WORK/owner-linked"
rm "$WORK/linked/sub/escape"
ln -s ../../outside "$WORK/linked/sub/escape"
expect_error climbing_link 'links to "../../outside", which leaves the tree' \
    "$OWNER_BIN" --config ring.json --file "$WORK/linked" --data-dir "$WORK/owner-linked"

mkdir -p "$WORK/tiny/a"
make_file "$WORK/tiny/a/small" 1000
expect_error tiny_tree "the tree $WORK/tiny (its files together): the file is 1000 bytes" "$OWNER_BIN" \
    --config ring.json --file "$WORK/tiny" --data-dir "$WORK/owner-tiny"
expect_error data_inside "is inside $WORK/big, which is distributed; give --data-dir another place" "$OWNER_BIN" \
    --config ring.json --file "$WORK/big" --data-dir "$WORK/big/owner-data"

# 4. Hostile trees from a fake owner: each gets an error frame, and nothing lands outside.
# fake_owner PORT PATH: serves one manifest whose tree holds PATH, then reports what came back.
fake_owner() {
    python3 - "$1" "$2" << 'PY'
import json, sys
from fake_owner import accept_hello, frame, listen, read_until_error
port, bad = int(sys.argv[1]), sys.argv[2].encode("latin-1").decode("unicode_escape").encode("latin-1")
size = 102400 * 5
tree = [{"path_hex": bad.hex(), "size": size, "mode": 420, "mtime_ns": 0}, {"path": "ok", "dir": True, "mode": 493, "mtime_ns": 0}]
if bad == b"twice":
    tree = [{"path": "twice", "size": size, "mode": 420, "mtime_ns": 0}, {"path": "twice", "dir": True, "mode": 493, "mtime_ns": 0}]
if bad == b"under":
    tree = [{"path": "f", "size": size, "mode": 420, "mtime_ns": 0}, {"path": "f/x", "dir": True, "mode": 493, "mtime_ns": 0}]
if bad == b"link-out":
    tree = [{"path": "f", "size": size, "mode": 420, "mtime_ns": 0}, {"path": "x", "link": "../../etc", "mode": 511, "mtime_ns": 0}]
if bad == b"under-link":
    tree = [{"path": "b", "link": "f", "mode": 511, "mtime_ns": 0}, {"path": "b/f", "size": size, "mode": 420, "mtime_ns": 0}]
listing = json.dumps(tree).encode()
head = {"type": "manifest", "file_name": "evil", "file_size": size, "chunk_size": 102400, "chunk_count": 5,
        "tree_bytes": len(listing)}
conn = accept_hello(listen(port))
conn.sendall(frame(head, bytes(32 * 5) + listing))
got_error, reply = read_until_error(conn)
print("error frame" if got_error else "no error frame: %r" % reply[:200])
PY
}
for bad in '/tmp/evil-abs' '../evil-up' 'a/../../evil' 'a//b' 'a/' './a' 'twice' 'under' 'nul\x00byte' 'link-out' \
    'under-link'; do
    rm -rf "$WORK/victim"
    owner_port=$(free_ports 1)
    fake_owner "$owner_port" "$bad" > fake.out 2>&1 &
    fake=$!
    STARTED_PIDS+=("$fake")
    wait_for_line fake.out listening
    # A bad frame closes that connection and the peer tries again (the owner may recover): the
    # refusal and the error frame are what count; then the peer is ended.
    start victim "$PEER_BIN" --owner-port "$owner_port" --port "$(free_ports 1)" --download-port 1 \
        --data-dir "$WORK/victim/data" --log-format json
    refusal=$(wait_for_event victim.log 30 bad_message from=owner)
    error=$("$EVENTS_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["error"])' <<< "$refusal")
    [[ $error == "manifest: "* ]] || fail "'$bad' was refused for another reason: $error"
    wait "$fake" || true
    kill "${PID_OF[victim]}" 2> /dev/null || true
    wait "${PID_OF[victim]}" 2> /dev/null || true
    grep -q "^error frame" fake.out || fail "no error frame for '$bad': $(cat fake.out)"
    [[ -z "$(find "$WORK/victim" -name 'evil*' -o -name 'b' -o -name 'x')" ]] || fail "'$bad' wrote something"
    [[ ! -e /tmp/evil-abs && ! -e "$WORK/evil-up" && ! -e "$WORK/victim/evil-up" ]] || fail "'$bad' escaped"
    echo "ok: a tree with '$bad' is refused: $error"
done
