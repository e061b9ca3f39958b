# The wire bits a scripted stand-in for the owner needs (tests only): frame encoding, and a
# listener on 127.0.0.1 that takes one client and reads its hello. Tests put this directory on
# PYTHONPATH (lib.sh) and `import fake_owner`.
import json
import socket
import struct


def frame(header, payload=b""):
    head = json.dumps(header).encode()
    return b"CSW1" + struct.pack(">II", len(head), len(payload)) + head + payload


def listen(port):
    """Listens on 127.0.0.1:port and says "listening" (tests wait for that line)."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen()
    print("listening", flush=True)
    server.settimeout(30)
    return server


def accept_hello(server):
    """The next client, once its hello has arrived."""
    conn, _ = server.accept()
    conn.settimeout(30)
    conn.recv(65536)
    return conn


def read_until_error(conn):
    """What the client sends until its error frame (or until it closes); True if one came."""
    reply = b""
    while b'"type":"error"' not in reply:
        data = conn.recv(65536)
        if not data:
            break
        reply += data
    return b'"type":"error"' in reply, reply
