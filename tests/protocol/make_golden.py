#!/usr/bin/python3
"""Writes golden encodings of Kafka messages to tests/protocol/data/*.hex.

The bytes come from an implementation independent of ours: kafka-python's protocol classes
(non-flexible versions), and, for flexible versions that kafka-python 2.0 does not know, bytes
assembled by hand below with struct.pack following Kafka's protocol guide. golden_test.cc decodes
each file into the field values written here and re-encodes it byte for byte.

usage: /usr/bin/python3 tests/protocol/make_golden.py   (run from anywhere; rewrites data/)
"""
import os
import struct
import sys

from kafka.protocol import admin, commit, fetch, group, metadata, offset, produce
from kafka.protocol.api import RequestHeader

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def write(name, data):
    if not isinstance(data, bytes):
        # kafka-python's encode() is a weak method: the object must stay referenced while it runs.
        data = data.encode()
    with open(os.path.join(OUT, name + ".hex"), "w") as f:
        f.write(data.hex() + "\n")


# ---- kafka-python (non-flexible versions)


def golden_kafka_python():
    req = metadata.MetadataRequest[1](topics=["orders", "payments"])
    write("metadata_request_v1", req)
    header = RequestHeader(req, correlation_id=42, client_id="spate-test")
    write("request_header_v1", header)

    write("metadata_request_v4_all", metadata.MetadataRequest[4](topics=None,
                                                                  allow_auto_topic_creation=False))

    write("metadata_response_v5", metadata.MetadataResponse[5](
        throttle_time_ms=7,
        brokers=[(1, "broker-1", 9092, "rack-a"), (2, "broker-2", 9093, None)],
        cluster_id="cluster-x",
        controller_id=1,
        topics=[(0, "orders", False, [(0, 0, 1, [1, 2], [1], []), (9, 1, 2, [2, 1], [2, 1], [1])])],
    ))

    write("api_versions_request_v0", admin.ApiVersionRequest[0]())
    write("api_versions_response_v1", admin.ApiVersionResponse[1](
        error_code=0, api_versions=[(0, 0, 8), (18, 0, 3)], throttle_time_ms=0))

    write("produce_request_v3", produce.ProduceRequest[3](
        transactional_id=None, required_acks=-1, timeout=30000,
        topics=[("orders", [(0, b"\x01\x02\x03\x04"), (3, b"")])]))
    write("produce_response_v5", produce.ProduceResponse[5](
        topics=[("orders", [(0, 0, 100, -1, 5), (3, 6, -1, 1700000000000, 0)])],
        throttle_time_ms=3))

    write("fetch_request_v4", fetch.FetchRequest[4](
        replica_id=-1, max_wait_time=500, min_bytes=1, max_bytes=52428800, isolation_level=1,
        topics=[("orders", [(0, 12345, 1048576), (1, 0, 65536)])]))
    write("fetch_response_v4", fetch.FetchResponse[4](
        throttle_time_ms=0,
        topics=[("orders", [(0, 0, 200, 150, [(77, 120)], b"\xaa\xbb"), (1, 1, -1, -1, None, b"")])],
    ))

    write("join_group_request_v2", group.JoinGroupRequest[2](
        group="g1", session_timeout=10000, rebalance_timeout=60000, member_id="",
        protocol_type="consumer", group_protocols=[("range", b"\x00\x01"), ("roundrobin", b"")]))
    write("join_group_response_v2", group.JoinGroupResponse[2](
        throttle_time_ms=0, error_code=0, generation_id=3, group_protocol="range",
        leader_id="m-1", member_id="m-2", members=[("m-1", b"\x09"), ("m-2", b"")]))
    write("sync_group_request_v1", group.SyncGroupRequest[1](
        group="g1", generation_id=3, member_id="m-1", group_assignment=[("m-1", b"\x05\x06")]))
    write("heartbeat_request_v1", group.HeartbeatRequest[1](
        group="g1", generation_id=3, member_id="m-1"))

    write("create_topics_request_v2", admin.CreateTopicsRequest[2](
        create_topic_requests=[("t1", 3, 2, [], [("cleanup.policy", "compact"), ("retention.ms", None)]),
                               ("t2", -1, -1, [(0, [1, 2]), (1, [2, 3])], [])],
        timeout=5000, validate_only=True))
    write("list_offsets_request_v1", offset.OffsetRequest[1](
        replica_id=-1, topics=[("orders", [(0, -1), (1, -2)])]))
    write("offset_commit_request_v2", commit.OffsetCommitRequest[2](
        consumer_group="g1", consumer_group_generation_id=3, consumer_id="m-1", retention_time=-1,
        topics=[("orders", [(0, 42, "meta"), (1, 43, "")])]))


# ---- hand-assembled flexible versions (Kafka protocol guide: compact lengths are uvarint(n+1),
# every struct ends with a tagged-field section: uvarint count, then (uvarint tag, uvarint size,
# value) in increasing tag order).


def uvarint(n):
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def cstr(s):
    if s is None:
        return b"\x00"
    b = s.encode()
    return uvarint(len(b) + 1) + b


def golden_hand_assembled():
    # ApiVersionsRequest v3: client_software_name, client_software_version, no tags.
    write("api_versions_request_v3", cstr("spate-cli") + cstr("0.1.0") + uvarint(0))

    # ApiVersionsResponse v3: error_code, api_keys[{api_key, min, max, tags}], throttle, tags:
    # tag 1 FinalizedFeaturesEpoch (int64) and an unknown tag 7 carrying two bytes.
    keys = [(0, 0, 11), (3, 0, 12)]
    body = struct.pack(">h", 0) + uvarint(len(keys) + 1)
    for k, lo, hi in keys:
        body += struct.pack(">hhh", k, lo, hi) + uvarint(0)
    body += struct.pack(">i", 0)
    body += uvarint(2) + uvarint(1) + uvarint(8) + struct.pack(">q", 5) + uvarint(7) + uvarint(2) + b"\xfe\xed"
    write("api_versions_response_v3", body)

    # MetadataRequest v12: topics [{topic_id, name(null)}], allow_auto=true, include_topic_ops=false.
    tid = bytes(range(1, 17))
    body = uvarint(2) + tid + cstr(None) + uvarint(0) + b"\x01" + b"\x00" + uvarint(0)
    write("metadata_request_v12", body)

    # RequestHeader v2: api_key=3, version=12, correlation_id=7, client_id as an int16 string
    # (never compact), then an empty tagged-field section.
    write("request_header_v2", struct.pack(">hhih", 3, 12, 7, 5) + b"spate" + uvarint(0))

    # FetchRequest v12 with the tagged ClusterId (tag 0) set.
    body = struct.pack(">i", -1)            # replica_id
    body += struct.pack(">iii", 500, 1, 1024)  # max_wait_ms, min_bytes, max_bytes
    body += struct.pack(">b", 0)            # isolation_level
    body += struct.pack(">ii", 0, -1)       # session_id, session_epoch
    body += uvarint(2) + cstr("orders") + uvarint(2)  # one topic, one partition
    body += struct.pack(">iiqiqi", 0, -1, 99, -1, 0, 4096) + uvarint(0)  # partition .. tags
    body += uvarint(0)                      # topic tags
    body += uvarint(1)                      # forgotten_topics_data: empty
    body += cstr("")                        # rack_id
    cluster = cstr("c1")
    body += uvarint(1) + uvarint(0) + uvarint(len(cluster)) + cluster
    write("fetch_request_v12", body)


def main():
    os.makedirs(OUT, exist_ok=True)
    golden_kafka_python()
    golden_hand_assembled()
    return 0


if __name__ == "__main__":
    sys.exit(main())
