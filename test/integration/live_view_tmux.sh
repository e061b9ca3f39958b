#!/usr/bin/env bash
# The live view of 24 peers in a 100x20 terminal (tmux): it keeps to the 20 rows, redrawn in
# place (nothing scrolls into the history while it runs), with the swarm's line and the slowest
# peers shown, and the rest counted.
source "$(dirname "$0")/lib.sh"
: "${SWARM_BIN:?}"
command -v tmux > /dev/null || { echo "skipped: needs tmux"; exit 77; }

mapfile -t ports < <(free_ports 25)
ring_config ring.json 102400 "${ports[@]}"
# Slow enough to watch for a few seconds: 2 MB/s from the owner, 6 MB.
sed -i 's/"idle_exit_s": 6 }/"idle_exit_s": 6, "max_upload_rate": 2000000 }/' ring.json
grep -q max_upload_rate ring.json || fail "could not cap the rates in ring.json"
make_file input.bin $((102400 * 60))

session="chunkswarm-live-$$"
tmux -L "$session" new-session -d -s "$session" -x 100 -y 20 \
    "'$SWARM_BIN' --config ring.json --file input.bin --work '$WORK/run' --together --display live 2> '$WORK/run.err'; echo EXIT \$?; sleep 60"
stop_tmux() { tmux -L "$session" kill-server 2> /dev/null || true; }
trap 'stop_tmux; cleanup' EXIT

frames=0 tall=0 counted=0 swarm_line=0 ended="" last_tall=0
for _ in $(seq 1200); do
    pane=$(tmux -L "$session" capture-pane -p -t "$session")
    # The final table comes after the live view and may scroll; the frame read just before it
    # may have caught its first line.
    if grep -q "^EXIT \|wall time" <<< "$pane"; then
        for _ in $(seq 50); do
            ended=$(grep -o "^EXIT [0-9]*" <<< "$pane" || true)
            [[ -n "$ended" ]] && break
            sleep 0.1
            pane=$(tmux -L "$session" capture-pane -p -t "$session")
        done
        break
    fi
    tall=$((tall + last_tall))
    frames=$((frames + 1))
    history=$(tmux -L "$session" display -p -t "$session" '#{history_size}')
    last_tall=$((history > 0 ? 1 : 0))
    grep -q "more peer(s), the slowest shown above" <<< "$pane" && counted=$((counted + 1))
    grep -q -- "-- .*: [0-9]*/24 peers done, .*/s in all, ETA" <<< "$pane" && swarm_line=$((swarm_line + 1))
    sleep 0.1
done
[[ -n "$ended" ]] || fail "the swarm did not end within 120 s: $(tmux -L "$session" capture-pane -p -t "$session")"
[[ "$ended" == "EXIT 0" ]] || fail "the swarm ended with ${ended#EXIT }: $(cat run.err)"
((frames >= 5)) || { echo "skipped: the run was over before 5 frames could be read ($frames)"; exit 77; }
((tall == 0)) || fail "in $tall of $frames frames the view had scrolled lines into the history"
((counted > 0 && swarm_line > 0)) || fail "no frame showed the count of peers left out ($counted) or the swarm's line ($swarm_line)"
echo "ok: $frames frames of 24 peers kept to 100x20, none scrolled; $counted counted the peers left out"
