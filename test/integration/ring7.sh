#!/usr/bin/env bash
# A seven-peer ring with another chunk size, started in a shuffled order.
source "$(dirname "$0")/lib.sh"

mapfile -t ports < <(free_ports 8)
ring_config ring.json 65536 "${ports[@]}"
make_file input.bin $((65536 * 50 + 1))

start owner "$OWNER_BIN" --config ring.json --file input.bin
for id in 4 1 7 2 6 3 5; do start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json; done
wait_ok peer{1..7} owner
check_file input.bin data/peer-{1..7}/input.bin
check_events peer{1..7}.log
check_seed_order peer{1..7}.log

# By default a peer's log says the joined file rests on its chunks' hashes.
for id in 1 2 3 4 5 6 7; do
    (($(event_count "peer$id.log" joined checked=chunk_hashes) == 1)) || fail "peer $id did not say how its file was checked"
done

# A larger file, so that shares outgrow the first batch from the owner. By default
# (early_trading) a peer trades once its first chunk is stored and its summary written, while the
# rest of its share still comes in; with early_trading false it waits for the whole share.
# verify_joined_file: each joined file is also hashed whole.
traded_before_share() {
    local events=$1 traded share
    # A chunk from the neighbour logged before the event that says the share is complete.
    traded=$(event_line "$events" chunk_received from!=owner)
    share=$(event_line "$events" share_held)
    [[ -n $traded ]] && { [[ -z $share ]] || ((traded < share)); }
}
make_file big.bin $((65536 * 400 + 3))
for mode in early after-share; do
    mapfile -t ports < <(free_ports 8)
    ring_config "$mode.json" 65536 "${ports[@]}"
    extra='"verify_joined_file": true,'
    [[ $mode == after-share ]] && extra+=' "early_trading": false,'
    sed -i -e "s/\"settings\": {/\"settings\": { $extra/" -e "s|\"$WORK/data\"|\"$WORK/$mode\"|" "$mode.json"
    start "$mode-owner" "$OWNER_BIN" --config "$mode.json" --file big.bin
    for id in 3 6 1 7 4 2 5; do start "$mode-peer$id" "$PEER_BIN" --config "$mode.json" --id "$id" --log-format json; done
    wait_ok "$mode"-peer{1..7} "$mode-owner"
    check_file big.bin "$mode"/peer-{1..7}/big.bin
    for id in 1 2 3 4 5 6 7; do
        (($(event_count "$mode-peer$id.log" joined checked=read_back) == 1)) ||
            fail "with verify_joined_file peer $id did not check its joined file again"
    done
    check_seed_order "$mode"-peer{1..7}.log
    traded_early=0
    for id in 1 2 3 4 5 6 7; do
        traded_before_share "$mode-peer$id.log" && traded_early=$((traded_early + 1))
    done
    if [[ $mode == early ]]; then
        ((traded_early > 0)) || fail "no peer took a chunk from its neighbour before its share was complete"
        (($(event_count early-peer1.log first_chunks_held) == 1)) ||
            fail "peer 1 did not say it starts trading while its share arrives"
    else
        ((traded_early == 0)) || fail "with early_trading false, $traded_early peer(s) traded before their share"
    fi
    echo "ok: $mode: $traded_early of 7 peers traded before holding their share; every copy identical"
done
