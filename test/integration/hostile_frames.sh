#!/usr/bin/env bash
# Malformed frames of every kind, sent over raw sockets to a real owner and a real peer: each
# connection gets an error frame and is closed, and the honest swarm still completes afterwards.
source "$(dirname "$0")/lib.sh"

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"
make_file input.bin $((102400 * 20 + 99))

# raw_frame PAYLOAD_LENGTH TEXT [HEADER_LENGTH]: a frame whose lengths may lie (the header
# length defaults to the text's real length).
raw_frame() {
    local p=$1 h=${3:-${#2}} bytes
    bytes=$(printf '\\x%02x\\x%02x\\x%02x\\x%02x\\x%02x\\x%02x\\x%02x\\x%02x' \
        $((h >> 24 & 255)) $((h >> 16 & 255)) $((h >> 8 & 255)) $((h & 255)) \
        $((p >> 24 & 255)) $((p >> 16 & 255)) $((p >> 8 & 255)) $((p & 255)))
    printf 'CSW1'
    # shellcheck disable=SC2059
    printf "$bytes"
    printf '%s' "$2"
}

# attack NAME PORT CODE EXPECTED BYTES-PRODUCING-COMMAND...: the reply is an error with CODE naming
# EXPECTED, then EOF (not a reset); unless NAME ends in "after-hello", nothing else came first.
attack() {
    local name=$1 port=$2 code=$3 expected=$4 written=0 status=0
    shift 4
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    # The server answers the first bad bytes but reads on until this side closes, so every write
    # must succeed. A subshell, so that a reset (SIGPIPE) fails this check instead of the script.
    ("$@") >&3 2> /dev/null || written=$?
    timeout 5 cat <&3 > "$name.reply" || status=$?
    exec 3>&-
    ((written == 0)) || fail "$name: the server reset the connection while the attack was written (status $written)"
    ((status == 0)) || fail "$name: the connection was not closed cleanly (status $status)"
    grep -q '"type":"error"' "$name.reply" || fail "$name: no error frame in the reply"
    grep -qF -- "$expected" "$name.reply" || fail "$name: the error does not say '$expected': $(tr -d '\0' < "$name.reply")"
    grep -qF -- "\"code\":\"$code\"" "$name.reply" || fail "$name: the error's code is not $code: $(tr -d '\0' < "$name.reply")"
    # Before a valid hello nothing of the swarm may be sent.
    if [[ "$name" != *after-hello ]]; then
        ! grep -q '"type":"manifest"' "$name.reply" || fail "$name: was sent the manifest"
    fi
    echo "ok: $name -> error, closed"
}

hello='{"type":"hello","version":1,"peer_id":1}'
attacks() {
    local port=$1 who=$2
    attack "$who-not-ours" "$port" malformed "bad frame magic" printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'
    # Far more than one read takes: a server that closed with these bytes unread would reset.
    attack "$who-flood-of-garbage" "$port" malformed "bad frame magic" head -c $((4 << 20)) /dev/zero
    attack "$who-header-too-long" "$port" malformed "header length" raw_frame 0 '' 70000
    attack "$who-header-not-json" "$port" malformed "not a JSON object" raw_frame 0 'not json!'
    attack "$who-no-type" "$port" malformed "no string field" raw_frame 0 '{"a":1}'
    attack "$who-unknown-type" "$port" malformed "unknown message type" raw_frame 0 '{"type":"gimme"}'
    attack "$who-payload-on-request" "$port" malformed "exceeds" raw_frame 5000000 '{"type":"request","ids":[]}'
    attack "$who-request-first" "$port" protocol "first message must be hello" frame '{"type":"request","ids":[1]}'
    attack "$who-future-version" "$port" malformed "not supported" frame '{"type":"hello","version":9,"peer_id":1}'
    attack "$who-id-wrong-type" "$port" malformed "peer_id" frame '{"type":"hello","version":1,"peer_id":"one"}'
    attack "$who-id-out-of-range-after-hello" "$port" malformed "is not in 0..20" \
        bash -c "$(declare -f frame); frame '$hello'; frame '{\"type\":\"request\",\"ids\":[21]}'"
    attack "$who-negative-id-after-hello" "$port" malformed "is not in 0..20" \
        bash -c "$(declare -f frame); frame '$hello'; frame '{\"type\":\"request\",\"ids\":[-1]}'"
    attack "$who-hello-twice-after-hello" "$port" protocol "hello sent twice" bash -c "$(declare -f frame); frame '$hello'; frame '$hello'"
}

start owner "$OWNER_BIN" --config ring.json --file input.bin --log-format json
wait_for_event owner.log 30 listening > /dev/null
attacks "${ports[0]}" owner
attack owner-unknown-peer "${ports[0]}" refused "not in the owner's config" frame '{"type":"hello","version":1,"peer_id":77}'

start peer1 "$PEER_BIN" --config ring.json --id 1 --log-format json
wait_for_event peer1.log 60 share_held > /dev/null
attacks "${ports[1]}" peer1

for id in 2 3 4 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
wait_ok peer1 peer2 peer3 peer4 peer5 owner
check_file input.bin data/peer-{1..5}/input.bin
(($(event_count owner.log bad_message) > 0)) || fail "the owner did not log the bad messages"
echo "ok: after every attack the owner and the peer kept serving and the swarm completed"
