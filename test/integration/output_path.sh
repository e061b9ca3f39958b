#!/usr/bin/env bash
# --output puts the joined file where the user says; chunk files, summary and manifest stay in the
# data directory. A directory, or a path in a directory that does not exist, is one line and exit 2.
source "$(dirname "$0")/lib.sh"

mapfile -t ports < <(free_ports 4)
ring_config ring.json 102400 "${ports[@]}"
make_file input.bin $((102400 * 20 + 5))
mkdir -p elsewhere

start owner "$OWNER_BIN" --config ring.json --file input.bin --log-format json
start peer1 "$PEER_BIN" --config ring.json --id 1 --log-format json
start peer2 "$PEER_BIN" --config ring.json --id 2 --log-format json --output elsewhere/model.bin
start peer3 "$PEER_BIN" --config ring.json --id 3 --log-format json
wait_ok peer1 peer2 peer3 owner
check_file input.bin data/peer-1/input.bin elsewhere/model.bin data/peer-3/input.bin
[[ ! -e data/peer-2/input.bin ]] || fail "peer 2 also wrote the file into its data directory"
[[ -z $(find elsewhere -name '*.part') ]] || fail "a .part was left beside the output"
[[ $(find data/peer-2/chunks -type f | wc -l) == 21 ]] || fail "peer 2's 21 chunk files are not in data/peer-2/chunks"
echo "ok: peer 2's copy is at elsewhere/model.bin, its chunk files in data/peer-2"

# Started again with the same --output, peer 2 finds its copy whole there.
start again "$PEER_BIN" --config ring.json --id 2 --log-format json --output elsewhere/model.bin
wait_for_event again.log 30 resumed held=21 > /dev/null
kill -TERM "$(program_pid again)" 2>/dev/null || true
wait "${PID_OF[again]}" 2>/dev/null || true
check_file input.bin elsewhere/model.bin
echo "ok: a restart with the same --output resumes from the copy there"

expect_error output_dir "is a directory; give the path the file" \
    "$PEER_BIN" --config ring.json --id 2 --output elsewhere
expect_error output_missing "does not exist; create it first" \
    "$PEER_BIN" --config ring.json --id 2 --output nowhere/model.bin

# A directory tree: --output names the tree's root; a restart with the same --output finds the
# tree there (an existing directory is refused only when this data directory holds no tree).
mapfile -t ports < <(free_ports 4)
ring_config tree.json 102400 "${ports[@]}"
sed -i "s|$WORK/data|$WORK/treedata|" tree.json
mkdir -p dataset/sub && make_file dataset/a.bin $((102400 * 6 + 1)) && make_file dataset/sub/b.bin 5000
start tree_owner "$OWNER_BIN" --config tree.json --file dataset --log-format json
start tree1 "$PEER_BIN" --config tree.json --id 1 --log-format json
start tree2 "$PEER_BIN" --config tree.json --id 2 --log-format json --output "$WORK/elsewhere/dataset-copy"
start tree3 "$PEER_BIN" --config tree.json --id 3 --log-format json
wait_ok tree1 tree2 tree3 tree_owner
check_file dataset/a.bin elsewhere/dataset-copy/a.bin
check_file dataset/sub/b.bin elsewhere/dataset-copy/sub/b.bin
start tree_again "$PEER_BIN" --config tree.json --id 2 --log-format json --output "$WORK/elsewhere/dataset-copy"
wait_for_event tree_again.log 30 resumed > /dev/null
kill -TERM "$(program_pid tree_again)" 2>/dev/null || true
wait "${PID_OF[tree_again]}" 2>/dev/null || true
! grep -q '"level":"error"' tree_again.log || fail "the restart with the tree at --output logged an error"
check_file dataset/a.bin elsewhere/dataset-copy/a.bin
check_file dataset/sub/b.bin elsewhere/dataset-copy/sub/b.bin
echo "ok: a tree goes to --output, and a restart with the same --output is accepted"

# Any other directory is refused, never replaced, even with a tree in the data directory.
mkdir -p unrelated && echo "keep me" > unrelated/notes.txt
expect_error tree_unrelated "is a directory; give the path the file" \
    "$PEER_BIN" --config tree.json --id 2 --output "$WORK/unrelated"
[[ $(cat unrelated/notes.txt) == "keep me" ]] || fail "the unrelated directory was touched"

# swarm --output: every peer's copy where the launcher says, {id} telling peers on one host apart;
# the launcher checks each copy there.
: "${SWARM_BIN:?}"
mapfile -t ports < <(free_ports 6)
ring_config ring5.json 102400 "${ports[@]}"
mkdir -p out
timeout 120 "$SWARM_BIN" --config ring5.json --file input.bin --work "$WORK/run" --display quiet --together \
    --output "$WORK/out/copy-{id}.bin" > swarm.out 2>&1 || { cat swarm.out; fail "swarm --output failed"; }
check_file input.bin out/copy-{1..5}.bin
[[ -z $(find run -name input.bin) ]] || fail "a copy was also written into a data directory: $(find run -name input.bin)"
expect_error swarm_output_shared "put {id} in it" "$SWARM_BIN" --config ring5.json --work "$WORK/run2" \
    --output "$WORK/out/copy.bin"
mkdir -p out/tree-3
expect_error swarm_output_dir "is a directory from an earlier run; remove it, or pass --resume" \
    "$SWARM_BIN" --config ring5.json --work "$WORK/run3" --output "$WORK/out/tree-{id}"
echo "ok: swarm --output put five verified copies at out/copy-{1..5}.bin"
