#!/usr/bin/env bash
# Bad input from the user: one clear line on stderr and a non-zero exit, never a crash or a hang.
source "$(dirname "$0")/lib.sh"

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"
make_file input.bin $((102400 * 6))
make_file small.bin $((102400 * 4))

expect_error owner-no-args "--file is required" "$OWNER_BIN"
expect_error owner-unknown-flag "--bogus" "$OWNER_BIN" --bogus --file input.bin --port 1
expect_error owner-missing-file "nope.bin does not exist" "$OWNER_BIN" --port "${ports[0]}" --file nope.bin --data-dir o1
expect_error owner-small-file "at least 5" "$OWNER_BIN" --port "${ports[0]}" --file small.bin --data-dir o2
expect_error owner-missing-config "none.json does not exist" "$OWNER_BIN" --config none.json --file input.bin
# Inputs that once crashed a program (an uncaught exception, exit 134) or hung it for ever.
mkdir config-dir
expect_error owner-config-dir "config-dir is a directory" "$OWNER_BIN" --config config-dir --file input.bin
expect_error peer-config-dir "config-dir is a directory" "$PEER_BIN" --config config-dir --id 1
expect_error swarm-config-dir "config-dir is a directory" "$SWARM_BIN" --config config-dir --work sw1
ln -s link-loop link-loop
expect_error owner-link-loop "link-loop: Too many levels of symbolic links" \
    "$OWNER_BIN" --port "${ports[0]}" --file link-loop --data-dir o3
expect_error owner-long-name "File name too long" \
    "$OWNER_BIN" --port "${ports[0]}" --file "$(printf 'a%.0s' {1..300})" --data-dir o4
mkfifo pipe
expect_error owner-fifo "pipe is a named pipe (FIFO); give --file a regular file" \
    "$OWNER_BIN" --port "${ports[0]}" --file pipe --data-dir o5
expect_error owner-many-peers "--peers must be 1..100000" \
    "$OWNER_BIN" --port "${ports[0]}" --file input.bin --peers 4000000000 --data-dir o6
expect_error owner-chunk-size-0 "chunk size 0 is outside" \
    "$OWNER_BIN" --port "${ports[0]}" --file input.bin --chunk-size 0 --data-dir o7
expect_error swarm-negative-timeout "--timeout must be 0 (no limit) or more" \
    "$SWARM_BIN" --config ring.json --timeout -1 --work sw2
[[ ! -e sw2 ]] || fail "the launcher made its work directory before refusing --timeout"
echo '{ "owner": { "port": 1 }, "peers": [ { "id": 1, "port": 2, "download_neighbor": 1 } ] }' > bad.json
expect_error owner-bad-config "at least 2 peers" "$OWNER_BIN" --config bad.json --file input.bin
expect_error owner-bad-level "unknown log level" "$OWNER_BIN" --port "${ports[0]}" --file input.bin --log-level loud
expect_error peer-no-args "give --config" "$PEER_BIN"
expect_error peer-unknown-id "not in" "$PEER_BIN" --config ring.json --id 9
expect_error peer-self-neighbour "must differ" "$PEER_BIN" --owner-port 1 --port 5 --download-port 5

# A port in use: a peer whose listening port is taken by another process of ours.
start blocker "$OWNER_BIN" --port "${ports[1]}" --file input.bin --data-dir blocker --bind 127.0.0.1
wait_for_line blocker.log listening
expect_error peer-port-in-use "in use" "$PEER_BIN" --config ring.json --id 1

# An owner that never comes up: the peer gives up after its retry budget.
sed 's/"owner_connect_timeout_s": 60/"owner_connect_timeout_s": 1/' ring.json > quick.json
expect_error peer-owner-unreachable "could not reach owner" "$PEER_BIN" --config quick.json --id 2

# Two processes given the same data directory: the second refuses to start.
start holder "$OWNER_BIN" --port "${ports[2]}" --file input.bin --data-dir shared --bind 127.0.0.1
wait_for_line holder.log listening
expect_error owner-shared-dir "in use by another chunkswarm process" \
    "$OWNER_BIN" --port "${ports[3]}" --file input.bin --data-dir shared
expect_error peer-shared-dir "in use by another chunkswarm process" \
    "$PEER_BIN" --owner-port "${ports[2]}" --port "${ports[4]}" --download-port "${ports[5]}" --data-dir shared

# A disk that cannot take the file (a file-size limit under one chunk makes the joined file's
# reservation fail with EFBIG, as a full disk fails with ENOSPC): the peer says so before the first
# chunk, exits 1 and leaves nothing behind. (A chunk write that fails is covered by the unit tests.)
start owner-disk "$OWNER_BIN" --port "${ports[3]}" --file input.bin --data-dir disk-owner --peers 1 --bind 127.0.0.1
wait_for_line owner-disk.log listening
expect_error peer-disk-full "cannot make room for disk-peer/input.bin.part" \
    bash -c "ulimit -f 50; exec \"$PEER_BIN\" --owner-port ${ports[3]} --port ${ports[4]} --download-port ${ports[5]} --data-dir disk-peer"
grep -q "File too large" peer-disk-full.err || fail "the disk error does not say what the system said"
[[ -z "$(ls disk-peer/chunks)" ]] || fail "a chunk was left behind after a failed write: $(ls disk-peer/chunks)"
[[ ! -e disk-peer/input.bin.part ]] || fail "the joined file's .part was left behind"
echo "ok: no chunk and no .part left after a failed reservation"
