#!/usr/bin/env bash
# swarm --hosts: the peers from a list (or a file), in ring order, with ids and default ports by
# position, replacing the config's; the processes here read that config, and the swarm completes.
source "$(dirname "$0")/lib.sh"
: "${SWARM_BIN:?}"

# The peers take the default ports 7101-7103: the run needs them free.
for port in 7101 7102 7103; do
    if ! "$EVENTS_PYTHON" -c 'import socket, sys; s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' \
        "$port" 2> /dev/null; then
        echo "skipped: port $port, a default peer port, is in use here"
        exit 77
    fi
done
owner_port=$(free_ports 1)
cat > base.json << CONFIG
{ "owner": { "host": "127.0.0.1", "port": $owner_port }, "data_dir": "$WORK/data",
  "settings": { "idle_exit_s": 6 },
  "peers": ["127.0.0.1", "127.0.0.1"] }
CONFIG
printf '# the ring\nlocalhost\n127.0.0.1   # two\n\nlocalhost\n' > hosts.txt

"$SWARM_BIN" --config base.json --hosts hosts.txt --print-config > full.json
"$EVENTS_PYTHON" - full.json << 'PY' || fail "--hosts did not make the ring of the list (above)"
import json, sys
peers = json.load(open(sys.argv[1]))["peers"]
got = [(p["id"], p["port"], p["download_neighbor"]) for p in peers]
want = [(1, 7101, 3), (2, 7102, 1), (3, 7103, 2)]
if got != want:
    sys.exit(f"peers {got}, expected {want}")
PY
echo "ok: --hosts hosts.txt makes peers 1-3 on ports 7101-7103, each downloading from the one before"

make_file input.bin $((102400 * 12))
timeout 120 "$SWARM_BIN" --config base.json --hosts localhost,127.0.0.1,localhost --file input.bin \
    --work "$WORK/run" --display plain > run.out 2>&1 || { cat run.out; fail "the swarm from --hosts failed"; }
[[ $(grep -c "OK, SHA-256 matches" run.out) == 3 ]] || { cat run.out; fail "not three verified copies"; }
"$EVENTS_PYTHON" -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["peers"] != sys.argv[2].split(","))' \
    "$WORK/run/config.json" localhost,127.0.0.1,localhost || fail "the processes' config does not hold the --hosts list"
echo "ok: three peers from --hosts, every copy verified"

expect_error one_host "give at least 2 hosts" "$SWARM_BIN" --config base.json --hosts localhost --print-config
expect_error bad_host '--hosts a b,c: peers\[0\].host' "$SWARM_BIN" --config base.json --hosts "a b,c" --print-config
