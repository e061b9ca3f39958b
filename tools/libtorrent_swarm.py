#!/usr/bin/python3
"""The same job as a chunkswarm run, done by libtorrent: one seed and N peers on 127.0.0.1.

The bench (`bench --libtorrent`) runs this between its own runs, so the two meet the same machine.
Wall time runs from the start of the torrent's creation (libtorrent's counterpart of the owner's
split: it hashes the file) until every peer holds the whole file (with --ready-seed the peers start
once the seed listens, and ready_s says when that was); each process is its own
libtorrent session, as separate machines would be. Peers find each other the way a tracker would
tell them: once all listen, each is told every other's port. Settings are libtorrent's defaults
except what a swarm on one address needs (several connections per IP, no DHT, LSD, UPnP or uTP).
Needs Debian's python3-libtorrent. Prints one JSON object on its last line of output.

    libtorrent_swarm.py --input FILE --peers 5 --dir WORK [--timeout 900] [--ready-seed] [--hosts HOSTS.json]

--hosts places each process (the seed first, then the peers) on a host of its own, as the namespace
test does: a JSON list of {"prefix": [command words run before the process, e.g. "ip", "netns",
"exec", "ns1"], "listen": "ADDRESS:PORT" it listens on (port 0: any), "reach": "ADDRESS" the others
connect to on the port it listens on, or "ADDRESS:PORT" when something in between (a relay) has
another}.
"""
import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time

try:
    import libtorrent as lt
except ImportError:
    sys.exit("libtorrent_swarm: python3-libtorrent is missing (apt-get install python3-libtorrent)")


LOOPBACK = {"prefix": [], "listen": "127.0.0.1:0", "reach": "127.0.0.1"}


def session(high_performance, listen):
    settings = lt.high_performance_seed() if high_performance else {}
    settings.update({
        "listen_interfaces": listen,
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.status_notification | lt.alert.category_t.error_notification,
    })
    return lt.session(settings)


def peak_rss_mib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def serve(args):
    """One process: seed (--seed) or peer. Prints its port, reads the others' endpoints, reports when complete."""
    ses = session(args.high_performance, args.listen)
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(args.torrent)
    params.save_path = args.save
    if args.seed:
        params.flags |= lt.torrent_flags.seed_mode  # just hashed by the parent: no second check
    handle = ses.add_torrent(params)
    print("port", ses.listen_port(), flush=True)
    for endpoint in sys.stdin.readline().split():
        address, port = endpoint.rsplit(":", 1)
        handle.connect_peer((address, int(port)))
    while not handle.status().is_seeding:
        ses.wait_for_alert(50)
        for alert in ses.pop_alerts():
            if alert.category() & lt.alert.category_t.error_notification:
                print("error", alert.message(), file=sys.stderr, flush=True)
    print("done", flush=True)
    sys.stdin.readline()  # keeps seeding for the others until the parent says the swarm is done
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print("facts", json.dumps({"cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mib": peak_rss_mib()}),
          flush=True)


TORRENT_KINDS = {"hybrid": 0, "v1": lt.create_torrent.v1_only, "v2": lt.create_torrent.v2_only}


def make_torrent(source, torrent_path, kind):
    files = lt.file_storage()
    lt.add_files(files, str(source))
    creator = lt.create_torrent(files, 0, TORRENT_KINDS[kind])
    lt.set_piece_hashes(creator, os.path.dirname(os.path.abspath(source)))
    with open(torrent_path, "wb") as out:
        out.write(lt.bencode(creator.generate()))
    return lt.torrent_info(torrent_path)


def read_line(process, expected):
    line = process.stdout.readline().strip().split(maxsplit=1)
    if not line or line[0] != expected:
        raise RuntimeError(f"a libtorrent process said {line!r} instead of {expected!r}")
    return line[1] if len(line) > 1 else ""


def on_timeout(signum, frame):
    raise TimeoutError("the libtorrent swarm did not finish in time")


def load_hosts(args):
    if not args.hosts:
        return [LOOPBACK] * (args.peers + 1)
    with open(args.hosts) as f:
        hosts = json.load(f)
    if len(hosts) != args.peers + 1:
        sys.exit(f"libtorrent_swarm: {args.hosts} lists {len(hosts)} hosts; the seed and {args.peers} peers need "
                 f"{args.peers + 1}")
    return hosts


def launch(args, host, torrent, role):
    command = host["prefix"] + [sys.executable, os.path.abspath(__file__), "--torrent", torrent,
                                "--listen", host["listen"]] + role
    if args.high_performance:
        command.append("--high-performance")
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def reach(host, listening_port):
    """Where the others connect to this process: its fixed relay port, else the port it listens on."""
    return host["reach"] if ":" in host["reach"] else f"{host['reach']}:{listening_port}"


def run_swarm(args):
    os.makedirs(args.dir, exist_ok=True)
    source = os.path.abspath(args.input)
    signal.signal(signal.SIGALRM, on_timeout)
    signal.alarm(max(1, int(args.timeout)))
    torrent = os.path.join(args.dir, "file.torrent")
    start = time.monotonic()
    info = make_torrent(source, torrent, args.kind)
    created = time.monotonic() - start
    hosts = load_hosts(args)
    processes = []
    outputs = []
    try:
        processes.append(launch(args, hosts[0], torrent, ["--seed", "--save", os.path.dirname(source)]))
        # With --ready-seed the peers start once the seed listens, its torrent made: the clock of
        # a harness that has its seed running before it starts timing.
        seed_port = read_line(processes[0], "port") if args.ready_seed else None
        ready = time.monotonic() - start
        for i in range(1, args.peers + 1):
            save = os.path.join(args.dir, f"peer-{i}")
            os.makedirs(save, exist_ok=True)
            outputs.append(os.path.join(save, info.name()))
            processes.append(launch(args, hosts[i], torrent, ["--save", save]))
        ports = [seed_port or read_line(processes[0], "port")] + [read_line(p, "port") for p in processes[1:]]
        listening = time.monotonic() - start  # every interpreter up, every session listening
        endpoints = [reach(host, port) for host, port in zip(hosts, ports)]
        for i, p in enumerate(processes):
            p.stdin.write(" ".join(endpoints[:i] + endpoints[i + 1:]) + "\n")
            p.stdin.flush()
        done_at = []
        for p in processes[1:]:
            read_line(p, "done")
            done_at.append(time.monotonic() - start)
        wall = time.monotonic() - start
        read_line(processes[0], "done")
        facts = []
        for p in processes:
            p.stdin.write("quit\n")
            p.stdin.flush()
            facts.append(json.loads(read_line(p, "facts")))
            p.wait(timeout=30)
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
                p.wait()
    figures = {
        "libtorrent_version": lt.__version__,
        "wall_s": wall,
        "create_torrent_s": created,
        "listening_s": listening,
        "piece_bytes": info.piece_length(),
        "peer_done_s": done_at,
        "seed": facts[0],
        "peers": facts[1:],
        "outputs": outputs,
    }
    if args.ready_seed:
        figures["ready_s"] = ready
    print(json.dumps(figures))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input")
    parser.add_argument("--peers", type=int, default=5)
    parser.add_argument("--dir")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--kind", choices=TORRENT_KINDS, default="hybrid",
                        help="torrent format: hybrid (libtorrent's default), v1 (SHA-1) or v2 (SHA-256 trees)")
    parser.add_argument("--high-performance", action="store_true",
                        help="start from libtorrent's high_performance_seed() settings instead of its defaults")
    parser.add_argument("--ready-seed", action="store_true",
                        help="start the peers only once the seed listens (ready_s in the output says when)")
    parser.add_argument("--hosts", help="a JSON list placing the seed and each peer on a host (see above)")
    parser.add_argument("--torrent", help=argparse.SUPPRESS)
    parser.add_argument("--listen", default=LOOPBACK["listen"], help=argparse.SUPPRESS)
    parser.add_argument("--save", help=argparse.SUPPRESS)
    parser.add_argument("--seed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torrent:
        serve(args)
    elif args.input and args.dir:
        run_swarm(args)
    else:
        parser.error("--input and --dir are required")


if __name__ == "__main__":
    main()
