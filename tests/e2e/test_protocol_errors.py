"""What a client that sends something unexpected gets back, and that nobody else notices."""
import socket
import struct

from confluent_kafka.admin import AdminClient

import kafka_wire as wire
from conftest import wait_until


def test_api_versions_of_a_newer_version_gets_v0_unsupported_version(broker):
    with wire.connect(broker) as s:
        # A future ApiVersions version uses the flexible (v2) request header.
        s.sendall(wire.request_frame(18, 99, 7, body=b"\x00", header_version=2))
        error_code, apis = wire.parse_api_versions_v0(wire.recv_frame(s), 7)
        assert error_code == 35  # UNSUPPORTED_VERSION
        assert apis == {18: (0, 4)}
        # The connection stays usable: the client retries with a version we serve.
        error_code, apis = wire.api_versions_v0(s, correlation_id=8)
        assert error_code == 0
        assert apis[3] == (0, 12) and apis[18] == (0, 4)


def test_unsupported_version_of_another_api_closes_only_that_connection(broker):
    with wire.connect(broker) as bad, wire.connect(broker) as good:
        bad.sendall(wire.request_frame(3, 99, 1))
        assert wire.is_closed(bad)
        assert wire.api_versions_v0(good)[0] == 0
    # The broker's log is read by a thread of the fixture: await the line rather than race it.
    wait_until(lambda: any("unsupported version" in line for line in broker.log), 10, "the broker's log line")


def test_unknown_api_key_closes_only_that_connection(broker):
    with wire.connect(broker) as bad, wire.connect(broker) as good:
        bad.sendall(wire.request_frame(9999, 0, 1))
        assert wire.is_closed(bad)
        assert wire.api_versions_v0(good)[0] == 0


def test_garbage_frame_closes_only_that_connection(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    assert "orders" in admin.list_topics(timeout=15).topics
    with wire.connect(broker) as bad, wire.connect(broker) as good:
        # A well-sized frame whose Metadata body claims more topics than it carries.
        body = struct.pack(">i", 1_000_000) + b"\x00\x05abc"
        bad.sendall(wire.request_frame(3, 1, 1, body=body))
        assert wire.is_closed(bad)
        assert wire.api_versions_v0(good)[0] == 0
    assert "orders" in admin.list_topics(timeout=15).topics


def test_oversized_frame_closes_only_that_connection(start_broker):
    b = start_broker("--set", "socket.request.max.bytes=1048576")
    with wire.connect(b) as bad, wire.connect(b) as good:
        bad.sendall(struct.pack(">i", 64 * 1024 * 1024) + b"x" * 100)
        assert wire.is_closed(bad)
        assert wire.api_versions_v0(good)[0] == 0
    assert sum("closing connection" in line for line in b.log) == 1


def test_negative_frame_size_closes_the_connection(broker):
    with wire.connect(broker) as bad:
        bad.sendall(b"\xff\xff\xff\xfe")
        assert wire.is_closed(bad)
    with wire.connect(broker) as good:
        assert wire.api_versions_v0(good)[0] == 0


def test_abrupt_disconnect_mid_frame_is_harmless(broker):
    s = socket.create_connection((broker.host, broker.port))
    s.sendall(struct.pack(">i", 100) + b"partial")
    s.close()
    with wire.connect(broker) as good:
        assert wire.api_versions_v0(good)[0] == 0
