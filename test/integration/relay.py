#!/usr/bin/env python3
"""A man in the middle for tests: forwards TCP connections from LISTEN_PORT to TARGET_PORT on
127.0.0.1, appends every byte it forwards (both ways) to RECORD, and with --flip-at N flips one bit
of the byte at offset N of what the target sends back, on the first connection that gets that far.

    relay.py LISTEN_PORT TARGET_PORT RECORD [--flip-at N]
"""
import argparse
import socket
import threading

lock = threading.Lock()
flipped = False


def pipe(source, sink, record, flip_at):
    global flipped
    offset = 0
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            if flip_at is not None and offset <= flip_at < offset + len(data):
                with lock:
                    if not flipped:
                        flipped = True
                        data = bytearray(data)
                        data[flip_at - offset] ^= 0x01
                        data = bytes(data)
            offset += len(data)
            with lock:
                record.write(data)
                record.flush()
            sink.sendall(data)
    except OSError:
        pass
    for sock, how in ((sink, socket.SHUT_WR), (source, socket.SHUT_RD)):
        try:
            sock.shutdown(how)
        except OSError:
            pass


def serve(client, target_port, record, flip_at):
    try:
        server = socket.create_connection(("127.0.0.1", target_port))
    except OSError:
        client.close()
        return
    up = threading.Thread(target=pipe, args=(client, server, record, None), daemon=True)
    down = threading.Thread(target=pipe, args=(server, client, record, flip_at), daemon=True)
    up.start()
    down.start()
    up.join()
    down.join()
    client.close()
    server.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("listen_port", type=int)
    parser.add_argument("target_port", type=int)
    parser.add_argument("record")
    parser.add_argument("--flip-at", type=int)
    args = parser.parse_args()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.listen_port))
    listener.listen(128)
    print("relaying", flush=True)
    with open(args.record, "ab") as record:
        while True:
            client, _ = listener.accept()
            threading.Thread(target=serve, args=(client, args.target_port, record, args.flip_at), daemon=True).start()


if __name__ == "__main__":
    main()
