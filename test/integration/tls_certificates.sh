#!/usr/bin/env bash
# TLS with certificates (the config's "tls"), for sites that run a PKI: a swarm whose members hold
# certificates from the CA completes, each process saying so at start; a peer whose certificate
# comes from another CA is refused by the owner (tls_failed), receives no chunk, and stops at once
# saying why (as with a wrong secret, retrying cannot help).
source "$(dirname "$0")/lib.sh"

command -v openssl > /dev/null || { echo "SKIP: no openssl command to make certificates"; exit 77; }

# certificate NAME CA: NAME.key and NAME.pem, signed by CA (CA.key, CA.pem).
certificate() {
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$1" 2> /dev/null
    openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -out "$1.pem" -days 2 2> /dev/null
}
for ca in swarm-ca other-ca; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$ca.key" -out "$ca.pem" \
        -subj "/CN=$ca" -days 2 2> /dev/null || fail "openssl could not make a CA"
done
certificate member swarm-ca
certificate rogue other-ca
[[ -s member.pem && -s rogue.pem ]] || fail "openssl made no certificates"

mapfile -t ports < <(free_ports 4)
ring_config ring.json 102400 "${ports[@]}"
"$EVENTS_PYTHON" - "$WORK" << 'PY'
import json, sys
config = json.load(open("ring.json"))
work = sys.argv[1]
config["tls"] = {"cert": f"{work}/member.pem", "key": f"{work}/member.key", "ca": f"{work}/swarm-ca.pem"}
json.dump(config, open("pki.json", "w"))
PY
make_file input.bin $((600 * 1024 + 17))

unset CHUNKSWARM_SECRET
start owner "$OWNER_BIN" --config pki.json --file input.bin --log-format json
wait_for_event owner.log 30 protection tls=certificates > /dev/null
wait_for_event owner.log 30 listening > /dev/null

# A certificate from another CA, given on the command line over the config's.
start rogue "$PEER_BIN" --config pki.json --id 1 --tls-cert rogue.pem --tls-key rogue.key --log-format json
wait_for_event owner.log 30 tls_failed > /dev/null
status=0
wait "${PID_OF[rogue]}" || status=$?
((status != 0 && status != 124)) || fail "the peer with another CA's certificate exited with $status, not an error"
grep -q "owner is not a member of this swarm" rogue.log || fail "the refused peer does not say why it stopped"
[[ "$(event_count rogue.log chunk_received)" == 0 ]] || fail "the peer with another CA's certificate received chunks"
echo "ok: a certificate from another CA was refused, and that peer exited $status saying why"

for id in 1 2 3; do start "peer$id" "$PEER_BIN" --config pki.json --id "$id" --log-format json; done
wait_ok owner peer1 peer2 peer3
check_file input.bin data/peer-{1,2,3}/input.bin
for id in 1 2 3; do wait_for_event "peer$id.log" 5 protection tls=certificates > /dev/null; done
echo "ok: members with the CA's certificates completed over TLS"

expect_error "a --tls-cert without --tls-key" "needs all three of --tls-cert" "$PEER_BIN" --config ring.json --id 1 --tls-cert member.pem
expect_error "a missing certificate file" "nowhere.pem" "$OWNER_BIN" --config ring.json --file input.bin \
    --tls-cert nowhere.pem --tls-key member.key --tls-ca swarm-ca.pem
