#!/usr/bin/env python3
"""Records the request frames real clients send, by sitting between them and a running broker.

    capture_frames.py --listen 127.0.0.1:19092 --broker 127.0.0.1:9092 --out DIR

Each request frame (without its size prefix) is written to DIR/<client>-<api_key>-v<version>.bin,
first one per (client id, key, version) only. The files seed the fuzzer and serve as golden bytes:
the unit tests decode them and check they re-encode to the same bytes.
Clients must be pointed at the proxy for every connection, so the broker must advertise the proxy's
address (`spate serve --advertised-listener 127.0.0.1:19092`).
"""
import argparse
import pathlib
import re
import socket
import struct
import threading


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def pipe_responses(upstream, client):
    try:
        while (chunk := upstream.recv(65536)):
            client.sendall(chunk)
    except OSError:
        pass
    finally:
        client.close()


def serve_client(client, broker, out):
    upstream = socket.create_connection(broker)
    threading.Thread(target=pipe_responses, args=(upstream, client), daemon=True).start()
    try:
        while (size_bytes := recv_exact(client, 4)) is not None:
            (size,) = struct.unpack(">i", size_bytes)
            frame = recv_exact(client, size)
            if frame is None:
                break
            key, version, _, id_len = struct.unpack_from(">hhih", frame)
            client_id = frame[10:10 + id_len].decode(errors="replace") if id_len > 0 else "none"
            name = re.sub(r"[^A-Za-z0-9]+", "_", client_id).strip("_")
            path = out / f"{name}-{key}-v{version}.bin"
            if not path.exists():
                path.write_bytes(frame)
            upstream.sendall(size_bytes + frame)
    except OSError:
        pass
    finally:
        upstream.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", required=True)
    parser.add_argument("--broker", required=True)
    parser.add_argument("--out", required=True, type=pathlib.Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    host, port = args.listen.rsplit(":", 1)
    bhost, bport = args.broker.rsplit(":", 1)
    listener = socket.create_server((host, int(port)))
    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve_client, args=(client, (bhost, int(bport)), args.out), daemon=True).start()


if __name__ == "__main__":
    main()
