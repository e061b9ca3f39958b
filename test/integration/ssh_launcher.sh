#!/usr/bin/env bash
# The launcher over real OpenSSH: an sshd of this test's own on a free port of 127.0.0.1 (its own
# host and user keys), and a config whose launch command is `ssh ... root@{host}`, so that every
# process starts through ssh, reads its config on stdin, and is hashed through ssh at the end, as
# on real machines. Then a run stopped by --timeout: closing the pipes must end every process on
# the far side (ssh passes no signal), which is checked by their PIDs there.
# Needs root and Debian's openssh-server (tools/setup.sh --ssh); skipped with the reason otherwise.
source "$(dirname "$0")/lib.sh"
: "${SWARM_BIN:?}"

if ((EUID != 0)); then
    echo "SKIP: sshd logs in only as the user running it, and the test runs it as root (run the tests as root)"
    exit 77
fi
if [[ ! -x /usr/sbin/sshd ]] || ! command -v ssh-keygen > /dev/null; then
    echo "SKIP: no /usr/sbin/sshd (Debian's openssh-server; tools/setup.sh --ssh installs it)"
    exit 77
fi

# What this test started through its sshd is not among lib.sh's PIDs: end it too, by its PIDs.
far_cleanup() {
    local pids
    pids=$(pgrep -f -- "--data-dir $WORK/far/") || return 0
    # shellcheck disable=SC2086
    kill $pids 2> /dev/null || true
}
trap 'far_cleanup; cleanup' EXIT

mapfile -t ports < <(free_ports 7)
ssh_port=${ports[6]}
mkdir -p /run/sshd  # sshd's privilege separation directory (Debian's service makes it at boot)
ssh-keygen -q -t ed25519 -N '' -f host_key
ssh-keygen -q -t ed25519 -N '' -f user_key
cp user_key.pub authorized_keys
cat > sshd_config << CONFIG
Port $ssh_port
ListenAddress 127.0.0.1
HostKey $WORK/host_key
AuthorizedKeysFile $WORK/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $WORK/sshd.pid
CONFIG
start sshd /usr/sbin/sshd -D -e -f "$WORK/sshd_config"
ssh_command="[\"ssh\", \"-p\", \"$ssh_port\", \"-i\", \"$WORK/user_key\", \"-o\", \"BatchMode=yes\",
    \"-o\", \"StrictHostKeyChecking=no\", \"-o\", \"UserKnownHostsFile=/dev/null\", \"-o\", \"LogLevel=ERROR\",
    \"root@{host}\"]"
ssh_ok=0
for _ in $(seq 100); do
    if ssh -p "$ssh_port" -i user_key -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o LogLevel=ERROR root@127.0.0.1 true 2> /dev/null; then
        ssh_ok=1
        break
    fi
    sleep 0.1
done
((ssh_ok)) || fail "could not log in through the test's sshd"

# launch_config PATH MORE: the ring config with every process started through ssh.
launch_config() {
    ring_config ring.json 102400 "${ports[@]:0:6}"
    python3 - ring.json "$1" "$ssh_command" "$(dirname "$PEER_BIN")" "$WORK/far" "$2" << 'PY'
import json, sys
config = json.load(open(sys.argv[1]))
config["launch"] = {"command": json.loads(sys.argv[3]), "bin_dir": sys.argv[4], "work_dir": sys.argv[5]}
config["launch"].update(json.loads(sys.argv[6]))
json.dump(config, open(sys.argv[2], "w"), indent=1)
PY
}

# 1. A whole swarm through ssh: five verified copies, hashed on the far side.
launch_config ssh.json '{}'
make_file "$WORK/input.bin" $((102400 * 40 + 99))
timeout 120 "$SWARM_BIN" --config ssh.json --file "$WORK/input.bin" --work "$WORK/here" --display plain \
    > ssh.out 2>&1 || { cat ssh.out; fail "the swarm through ssh failed"; }
[[ $(grep -c "OK, SHA-256 matches" ssh.out) == 5 ]] || { cat ssh.out; fail "not five verified copies through ssh"; }
check_file "$WORK/input.bin" "$WORK"/far/peer-{1..5}/input.bin
grep -q '"event":"chunk_received"' "$WORK/here/logs/peer-3.events.jsonl" ||
    fail "the launcher did not collect peer 3's event stream over ssh"
echo "ok: a swarm started through ssh: five copies verified on the far side, event streams collected"

# 2. Stopped by --timeout while every process sends at 200 kB/s at most: every far process must end.
launch_config slow.json '{"args": ["--max-upload-rate", "200k"]}'
make_file "$WORK/big.bin" $((102400 * 300))
status=0
timeout 120 "$SWARM_BIN" --config slow.json --file "$WORK/big.bin" --work "$WORK/here2" --display plain \
    --together --timeout 4 > slow.out 2>&1 || status=$?
((status == 1)) || { cat slow.out; fail "the stopped run should exit 1, not $status"; }
grep -q "the run took longer than --timeout" slow.out || { cat slow.out; fail "no timeout verdict"; }
for _ in $(seq 100); do
    pgrep -f -- "--data-dir $WORK/far/" > /dev/null || break
    sleep 0.1
done
if pgrep -f -- "--data-dir $WORK/far/" > /dev/null; then
    pgrep -af -- "--data-dir $WORK/far/" >&2
    fail "processes started through ssh outlived the launcher's stop"
fi
echo "ok: a stop reaches every process started through ssh (their standard input closed), none left behind"

# 3. A bad launch object is refused before anything starts.
python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); c["launch"]["command"] = "ssh {user}@{host}"
json.dump(c, open(sys.argv[2], "w"))' ssh.json bad.json
expect_error bad_launch "launch.command: \"{user}@{host}\" has an unknown placeholder" "$SWARM_BIN" \
    --config bad.json --file "$WORK/input.bin" --work "$WORK/here3"
expect_error relative_file "give --file as the file's absolute path on that host" "$SWARM_BIN" --config ssh.json \
    --file input.bin --work "$WORK/here4"
