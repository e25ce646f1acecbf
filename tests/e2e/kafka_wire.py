"""A minimal raw Kafka client for tests that must send what real clients never send
(unknown versions, garbage frames). Written from the protocol guide, independent of spate's codec."""
import socket
import struct


def connect(broker, timeout=10):
    s = socket.create_connection((broker.host, broker.port), timeout=timeout)
    s.settimeout(timeout)
    return s


def request_frame(api_key, api_version, correlation_id, body=b"", client_id=b"spate-test", header_version=1):
    header = struct.pack(">hhi", api_key, api_version, correlation_id)
    if header_version >= 1:
        header += struct.pack(">h", len(client_id)) + client_id
    if header_version >= 2:
        header += b"\x00"  # no tagged fields
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise ConnectionError(f"connection closed after {len(data)} of {n} bytes")
        data += chunk
    return data


def recv_frame(s):
    (size,) = struct.unpack(">i", recv_exact(s, 4))
    return recv_exact(s, size)


def is_closed(s):
    """True when the peer has closed the connection (reads EOF or a reset)."""
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True


def api_versions_v0(s, correlation_id=1):
    """Sends ApiVersions v0 and returns (error_code, {api_key: (min, max)})."""
    s.sendall(request_frame(18, 0, correlation_id))
    return parse_api_versions_v0(recv_frame(s), correlation_id)


def parse_api_versions_v0(frame, correlation_id):
    (cid,) = struct.unpack_from(">i", frame, 0)
    assert cid == correlation_id
    error_code, count = struct.unpack_from(">hi", frame, 4)
    apis = {}
    offset = 10
    for _ in range(count):
        key, lo, hi = struct.unpack_from(">hhh", frame, offset)
        apis[key] = (lo, hi)
        offset += 6
    return error_code, apis
