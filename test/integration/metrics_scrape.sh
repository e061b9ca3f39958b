#!/usr/bin/env bash
# --metrics: an owner and five peers each serve Prometheus' text format. A scrape of the live swarm
# (the owner's uploads capped, so it lasts a few seconds) parses with Debian's prometheus_client and
# shows one state; once every process has finished and lingers, each scrape is checked against that
# process's own log: bytes received per sender and sent per receiver, chunks held, hash failures,
# reroutes, requests in flight, peers complete. SIGTERM ends the linger with a clean exit.
source "$(dirname "$0")/lib.sh"

# Debian's python, where python3-prometheus-client installs (a python3 earlier on PATH may lack it).
PY=/usr/bin/python3
"$PY" -c 'import prometheus_client' 2> /dev/null || {
    echo "SKIP: $PY cannot import prometheus_client (Debian's python3-prometheus-client; tools/setup.sh --metrics)"
    exit 77
}

# scrape PORT: the text a metrics endpoint serves.
scrape() {
    "$PY" -c 'import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=10).read().decode(), end="")' "$1"
}

# check_against_log NAME PORT CHUNKS: the scrape of a finished process against its json log.
check_against_log() {
    "$PY" - "$1" "$WORK/$1.log" "$2" "$3" "$VERSION" << 'PY'
import collections, json, sys, urllib.request
from prometheus_client.parser import text_string_to_metric_families

name, log, port, chunks, version = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
samples = {}
for family in text_string_to_metric_families(text):
    for s in family.samples:
        samples[(s.name, tuple(sorted(s.labels.items())))] = s.value

def value(metric, **labels):
    return samples.get((metric, tuple(sorted(labels.items()))), 0)

def series(metric, label):
    return {dict(k[1])[label]: v for k, v in samples.items() if k[0] == metric and v}

events = [json.loads(line) for line in open(log) if line.startswith("{")]
received, sent = collections.Counter(), collections.Counter()
for e in events:
    if e.get("event") == "chunk_received":
        received[e["from"].removeprefix("peer ")] += e["bytes"]  # label values: "owner", "2"
    elif e.get("event") == "chunk_sent":
        sent[e["to"].removeprefix("peer ")] += e["bytes"]
problems = []
def expect(what, got, want):
    if got != want:
        problems.append(f"{what}: metrics say {got}, the log says {want}")

owner = name.startswith("owner")
expect("state", value("chunkswarm_state", state="done" if owner else "finished"), 1)
expect("states set", sum(v for (m, _), v in samples.items() if m == "chunkswarm_state"), 1)
expect("chunks held", value("chunkswarm_chunks_held"), chunks)
expect("chunks in file", value("chunkswarm_chunks_in_file"), chunks)
expect("bytes sent per receiver", series("chunkswarm_sent_bytes_total", "to"), dict(sent))
expect("bytes received per sender", series("chunkswarm_received_bytes_total", "from"), dict(received))
expect("hash failures", sum(series("chunkswarm_hash_failures_total", "from").values()),
       sum(1 for line in open(log) if "failed its SHA-256 check" in line))
expect("reroutes", value("chunkswarm_reroutes_total"), sum(1 for e in events if e.get("event") == "rerouted"))
expect("requests in flight", sum(series("chunkswarm_requests_in_flight", "to").values()), 0)
if owner:
    expect("peers complete", value("chunkswarm_peers_complete"), 5)
elif sum(received.values()) < (chunks - 1) * 102400:
    problems.append(f"the log shows only {sum(received.values())} bytes received: not the whole file")
expect("build info", value("chunkswarm_build_info", version=version), 1)
peak = value("chunkswarm_peak_memory_bytes")
if not 1 << 20 < peak < 1 << 30:
    problems.append(f"peak memory {peak} bytes is not plausible")
# The standard process_* metrics, as every Prometheus client exports them.
if not 1 << 20 < value("process_resident_memory_bytes") < 1 << 30:
    problems.append(f"resident memory {value('process_resident_memory_bytes')} is not within 1 MiB..1 GiB")
if not value("process_cpu_seconds_total") > 0 or not value("process_open_fds") >= 3:
    problems.append("process_cpu_seconds_total or process_open_fds is missing")
if problems:
    print(f"FAIL: {name}: " + "; ".join(problems))
    sys.exit(1)
print(f"ok: {name}: metrics match its log (received {dict(received)}, sent {dict(sent)}, peak {peak / 2**20:.1f} MiB)")
PY
}

VERSION=$("$OWNER_BIN" --version | cut -d' ' -f2)
mapfile -t ports < <(free_ports 12)
ring_config ring.json 102400 "${ports[@]:0:6}"
metrics_port() { echo "${ports[6 + $1]}"; }  # 0: the owner; 1-5: the peers
make_file input.bin $((102400 * 60 + 777))

start owner "$OWNER_BIN" --config ring.json --file input.bin --log-format json --max-upload-rate 2M \
    --metrics "127.0.0.1:$(metrics_port 0)" --metrics-linger 120
for id in 1 2 3 4 5; do
    start "peer$id" "$PEER_BIN" --config ring.json --id "$id" --log-format json \
        --metrics "127.0.0.1:$(metrics_port "$id")" --metrics-linger 120
done

# Live: peer 3 mid-transfer (the owner sends 6 MB at 2 MB/s), parsed by the real parser.
wait_for_event peer3.log 30 chunk_received > /dev/null
scrape "$(metrics_port 3)" > live.txt
"$PY" - live.txt << 'PY' || fail "the live scrape does not parse or has no single state: $(cat live.txt)"
import sys
from prometheus_client.parser import text_string_to_metric_families
families = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
states = [s.labels["state"] for s in families["chunkswarm_state"].samples if s.value == 1]
assert len(states) == 1, states
for name in ("chunkswarm_chunks_held", "chunkswarm_received_bytes", "chunkswarm_peak_memory_bytes"):
    assert name in families, name
print(f"ok: live scrape of peer 3 parses: state {states[0]}, "
      f"{families['chunkswarm_chunks_held'].samples[0].value:.0f} chunks held")
PY

# Finished: each process logs that it lingers only after its last activity line.
for name in owner peer1 peer2 peer3 peer4 peer5; do wait_for_event "$name.log" 90 metrics_linger seconds=120 > /dev/null; done
check_file input.bin data/peer-{1..5}/input.bin
check_against_log owner "$(metrics_port 0)" 61 || fail "the owner's metrics disagree with its log"
for id in 1 2 3 4 5; do
    check_against_log "peer$id" "$(metrics_port "$id")" 61 || fail "peer $id's metrics disagree with its log"
done

# Only /metrics is served; a HEAD has no body.
"$PY" - "$(metrics_port 1)" << 'PY' || fail "the metrics endpoint answers other requests wrongly"
import http.client, sys
def ask(method, path):
    c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
    c.request(method, path)
    r = c.getresponse()
    return r.status, r.read()
assert ask("GET", "/")[0] == 404
assert ask("POST", "/metrics")[0] == 405
status, body = ask("HEAD", "/metrics")
assert status == 200 and body == b"", (status, body)
print("ok: / is 404, POST is 405, HEAD has no body")
PY

for name in owner peer1 peer2 peer3 peer4 peer5; do kill -TERM "$(program_pid "$name")"; done
wait_ok owner peer1 peer2 peer3 peer4 peer5
for name in owner peer1 peer2 peer3 peer4 peer5; do
    wait_for_event "$name.log" 10 metrics_linger_ended signal=SIGTERM > /dev/null
done
echo "ok: SIGTERM ended every linger with exit 0"

port_in_use=$(metrics_port 0)
start holder "$PY" -u -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); print("bound"); time.sleep(60)' "$port_in_use"
wait_for_line holder.log bound
expect_error metrics_port_in_use "cannot serve metrics on 127.0.0.1:$port_in_use: address already in use" \
    "$PEER_BIN" --config ring.json --id 1 --metrics "127.0.0.1:$port_in_use"
expect_error bad_metrics "--metrics: \"9100\" is not HOST:PORT" "$PEER_BIN" --config ring.json --id 1 --metrics 9100
expect_error linger_alone "--metrics-linger needs --metrics" "$OWNER_BIN" --config ring.json --file input.bin \
    --metrics-linger 5
kill -TERM "$(program_pid holder)"

# The whole swarm from the launcher (swarm --metrics): scraped while it lingers after the run.
: "${SWARM_BIN:?}"
mapfile -t ports < <(free_ports 7)
ring_config ring2.json 102400 "${ports[@]:0:6}"
start launcher "$SWARM_BIN" --config ring2.json --file input.bin --work "$WORK/run" --display quiet --together \
    --metrics "127.0.0.1:${ports[6]}" --metrics-linger 120
wait_for_line launcher.log "still serving metrics" 120
"$PY" - "${ports[6]}" "$(stat -c %s input.bin)" << 'PY' || fail "the launcher's metrics do not show the finished swarm"
import sys, urllib.request
from prometheus_client.parser import text_string_to_metric_families
port, size = sys.argv[1], int(sys.argv[2])
text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
           for family in text_string_to_metric_families(text) for s in family.samples}
def value(metric, **labels):
    return samples.get((metric, tuple(sorted(labels.items()))))
chunks = value("chunkswarm_swarm_chunks_in_file")
assert (value("chunkswarm_swarm_peers"), value("chunkswarm_swarm_peers_done"), value("chunkswarm_swarm_peers_failed")) \
    == (5, 5, 0), text
for peer in "12345":
    assert value("chunkswarm_swarm_chunks_held", peer=peer) == chunks == 61, (peer, chunks)
    got = sum(value("chunkswarm_swarm_received_bytes_total", peer=peer, **{"from": source}) for source in ("owner", "neighbor"))
    assert got >= size, (peer, got, size)
assert value("process_resident_memory_bytes") > 0
print("ok: swarm --metrics: five peers done, each holding all 61 chunks, from the owner and its neighbour")
PY
kill -TERM "$(program_pid launcher)"
wait_ok launcher
echo "ok: SIGTERM ended the launcher's linger with the run's exit 0"
