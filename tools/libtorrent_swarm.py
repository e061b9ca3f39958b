#!/usr/bin/python3
"""The same job as a chunkswarm run, done by libtorrent: one seed and N peers on 127.0.0.1.

The bench (`bench --libtorrent`) runs this between its own runs, so the two meet the same machine.
Wall time runs from the start of the torrent's creation (libtorrent's counterpart of the owner's
split: it hashes the file) until every peer holds the whole file; each process is its own
libtorrent session, as separate machines would be. Peers find each other the way a tracker would
tell them: once all listen, each is told every other's port. Settings are libtorrent's defaults
except what a swarm on one address needs (several connections per IP, no DHT, LSD, UPnP or uTP).
Needs Debian's python3-libtorrent. Prints one JSON object on its last line of output.

    libtorrent_swarm.py --input FILE --peers 5 --dir WORK [--timeout 900]
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


def session(high_performance):
    settings = lt.high_performance_seed() if high_performance else {}
    settings.update({
        "listen_interfaces": "127.0.0.1:0",
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
    """One process: seed (--seed) or peer. Prints its port, reads the others' ports, reports when complete."""
    ses = session(args.high_performance)
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(args.torrent)
    params.save_path = args.save
    if args.seed:
        params.flags |= lt.torrent_flags.seed_mode  # just hashed by the parent: no second check
    handle = ses.add_torrent(params)
    print("port", ses.listen_port(), flush=True)
    ports = [int(p) for p in sys.stdin.readline().split()]
    for port in ports:
        if port != ses.listen_port():
            handle.connect_peer(("127.0.0.1", port))
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


def run_swarm(args):
    os.makedirs(args.dir, exist_ok=True)
    source = os.path.abspath(args.input)
    signal.signal(signal.SIGALRM, on_timeout)
    signal.alarm(max(1, int(args.timeout)))
    torrent = os.path.join(args.dir, "file.torrent")
    start = time.monotonic()
    info = make_torrent(source, torrent, args.kind)
    created = time.monotonic() - start
    me = [sys.executable, os.path.abspath(__file__), "--torrent", torrent]
    if args.high_performance:
        me.append("--high-performance")
    processes = [subprocess.Popen(me + ["--seed", "--save", os.path.dirname(source)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)]
    outputs = []
    for i in range(1, args.peers + 1):
        save = os.path.join(args.dir, f"peer-{i}")
        os.makedirs(save, exist_ok=True)
        outputs.append(os.path.join(save, info.name()))
        processes.append(subprocess.Popen(me + ["--save", save], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          text=True))
    try:
        ports = [read_line(p, "port") for p in processes]
        for p in processes:
            p.stdin.write(" ".join(ports) + "\n")
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
    print(json.dumps({
        "libtorrent_version": lt.__version__,
        "wall_s": wall,
        "create_torrent_s": created,
        "piece_bytes": info.piece_length(),
        "peer_done_s": done_at,
        "seed": facts[0],
        "peers": facts[1:],
        "outputs": outputs,
    }))


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
    parser.add_argument("--torrent", help=argparse.SUPPRESS)
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
