#!/usr/bin/env bash
# A config by host name, with the ring left to the list's order: no ids, no download neighbours.
# The processes resolve the names at start; a name that does not resolve is one line naming it
# and exit 2, before anything is bound or written.
source "$(dirname "$0")/lib.sh"

# localhost everywhere; another name this machine's /etc/hosts gives a loopback address, where
# there is one, for the second peer.
other=localhost
while read -r address names; do
    for name in $names; do
        [[ "$address" == 127.* && "$name" != localhost* && "$name" =~ ^[A-Za-z0-9.-]+$ ]] && other=$name && break 2
    done
done < <(grep -v '^#' /etc/hosts 2>/dev/null || true)
echo "names: localhost and $other"

mapfile -t ports < <(free_ports 4)
cat > hosts.json <<EOF
{
  "owner": { "host": "localhost", "port": ${ports[0]} },
  "data_dir": "$WORK/data",
  "settings": { "owner_connect_timeout_s": 60, "neighbor_connect_timeout_s": 60, "idle_exit_s": 6 },
  "peers": [
    { "host": "localhost", "port": ${ports[1]} },
    { "host": "$other", "port": ${ports[2]} },
    { "host": "localhost", "port": ${ports[3]} }
  ]
}
EOF

# The full form: ids by position, each peer downloading from the one before it.
"$SWARM_BIN" --config hosts.json --print-config > full.json
"$EVENTS_PYTHON" - full.json <<'EOF' || fail "the printed config is not the ring of the list (above)"
import json, sys
peers = json.load(open(sys.argv[1]))["peers"]
got = [(p["id"], p["download_neighbor"]) for p in peers]
if got != [(1, 3), (2, 1), (3, 2)]:
    sys.exit(f"ids and download neighbours {got}, expected [(1, 3), (2, 1), (3, 2)]")
EOF
echo "ok: --print-config shows the ring 1 <- 3 <- 2 <- 1"

make_file input.bin $((102400 * 12))
start owner "$OWNER_BIN" --config hosts.json --file input.bin --log-format json
for id in 1 2 3; do start "peer$id" "$PEER_BIN" --config hosts.json --id "$id" --log-format json; done
wait_ok peer1 peer2 peer3 owner
check_file input.bin data/peer-{1..3}/input.bin
for id in 1 2 3; do wait_for_event "peer$id.log" 5 joined > /dev/null; done
echo "ok: three peers named by host found the owner and each other and hold the file"

# A name that never resolves (.invalid, RFC 2606): one line naming it and whose it is, exit 2.
unresolvable() {
    sed "s/\"host\": \"[^\"]*\", \"port\": $1 }/\"host\": \"no-such-host.invalid\", \"port\": $1 }/" hosts.json > "$2"
    grep -q no-such-host.invalid "$2" || fail "could not write $2"
}
# refused NAME PATTERN COMMAND...: exit 2 within a bound, one line on stderr matching PATTERN.
refused() {
    local name=$1 pattern=$2 status=0
    shift 2
    timeout 60 "$@" > "$name.out" 2> "$name.err" || status=$?
    ((status == 2)) || fail "$name: exit $status, expected 2: $(cat "$name.err")"
    [[ $(wc -l < "$name.err") -eq 1 ]] || fail "$name: not one line: $(cat "$name.err")"
    grep -q -- "$pattern" "$name.err" || fail "$name: stderr lacks '$pattern': $(cat "$name.err")"
    echo "ok: $name -> exit 2: $(cat "$name.err")"
}
unresolvable "${ports[2]}" peer2_unresolvable.json
refused peer1_neighbour 'peer 2: cannot resolve the host name "no-such-host.invalid"' \
    "$PEER_BIN" --config peer2_unresolvable.json --id 1
refused peer2_itself "this peer's own host: cannot resolve the host name \"no-such-host.invalid\"" \
    "$PEER_BIN" --config peer2_unresolvable.json --id 2
unresolvable "${ports[0]}" owner_unresolvable.json
refused owner_itself "the owner's host: cannot resolve the host name \"no-such-host.invalid\"" \
    "$OWNER_BIN" --config owner_unresolvable.json --file input.bin
refused peer3_owner 'the owner: cannot resolve the host name "no-such-host.invalid"' \
    "$PEER_BIN" --config owner_unresolvable.json --id 3
