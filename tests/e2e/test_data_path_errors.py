"""Bad input on the data path, with raw frames (data_wire) and real clients: each mistake gets
Apache Kafka's error code, nothing bad is stored, and the broker keeps serving (the same connection
and other clients)."""
import base64
import os
import uuid

import pytest
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

import data_wire as dw
from conftest import confluent_read_all, wait_until

DEFAULT_MAX_MESSAGE_BYTES = 1048588


def assert_serving(broker, conn=None, topic="ok"):
    """The broker still answers: the given connection (ApiVersions) and a new client (produce + read)."""
    if conn is not None:
        err, apis = conn.api_versions()
        assert err == 0 and 0 in apis and 1 in apis
    p = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all"})
    delivered = []
    p.produce(topic, value=b"still-serving", partition=0, on_delivery=lambda e, m: delivered.append((e, m.offset())))
    assert p.flush(30) == 0
    ((err, offset),) = delivered
    assert err is None, err
    got = confluent_read_all(broker.bootstrap, topic, {0: offset + 1}, timeout=30)
    assert got[0][-1].value() == b"still-serving"


def latest(conn, topic, partition=0):
    err, _, offset = dw.list_offsets(conn, 5, topic, partition, dw.LATEST)
    assert err == dw.NONE
    return offset


def topic_id_on_disk(broker, topic, partition=0):
    """The topic id from Kafka's partition.metadata file ("topic_id: <base64url>")."""
    text = (broker.data_dir / f"{topic}-{partition}" / "partition.metadata").read_text()
    (line,) = [l for l in text.splitlines() if l.startswith("topic_id:")]
    return uuid.UUID(bytes=base64.urlsafe_b64decode(line.split(":", 1)[1].strip() + "=="))


@pytest.fixture
def b(start_broker):
    return start_broker("--set", "topics=t:2,ok:1", "--set", "auto.create.topics.enable=false")


@pytest.mark.parametrize("codec,version", [("none", 3), ("none", 7), ("none", 9), ("zstd", 7), ("zstd", 9)])
def test_produce_with_wrong_crc_is_corrupt_message(b, version, codec):
    batch = dw.build_batch([f"v{i}".encode() * 10 for i in range(20)], codec=codec)
    with dw.Conn(b) as conn:
        res = dw.produce(conn, version, "t", 0, dw.corrupt_crc(batch))
        assert res[("t", 0)]["error_code"] == dw.CORRUPT_MESSAGE
        assert res[("t", 0)]["base_offset"] == -1
        assert latest(conn, "t") == 0, "nothing was appended"
        # The same connection goes on: the intact batch is accepted at offset 0.
        res = dw.produce(conn, version, "t", 0, batch)
        assert (res[("t", 0)]["error_code"], res[("t", 0)]["base_offset"]) == (0, 0)
        assert latest(conn, "t") == 20
        err, part = dw.fetch(conn, 11, "t", 0, 0)
        assert [r[3] for r in dw.decode_records(part["records"])] == [f"v{i}".encode() * 10 for i in range(20)]
        assert_serving(b, conn)


def test_zstd_before_produce_v7_is_unsupported_compression_type(b):
    batch = dw.build_batch([b"z" * 100 for _ in range(5)], codec="zstd")
    with dw.Conn(b) as conn:
        for version in (3, 6):
            res = dw.produce(conn, version, "t", 0, batch)
            assert res[("t", 0)]["error_code"] == dw.UNSUPPORTED_COMPRESSION_TYPE, version
        assert latest(conn, "t") == 0
        res = dw.produce(conn, 7, "t", 0, batch)
        assert (res[("t", 0)]["error_code"], res[("t", 0)]["base_offset"]) == (0, 0)
        assert_serving(b, conn)


def test_produce_records_that_are_not_exactly_one_batch_are_invalid_record(b):
    # Kafka's ProduceRequest.validateRecords (v3+): the records must hold exactly one complete
    # magic-2 batch; otherwise InvalidRecordException -> INVALID_RECORD (87), before any CRC check.
    batch = dw.build_batch([b"x" * 100 for _ in range(5)])
    cases = {
        "truncated": batch[:-30],  # the batch length says more than is there: no complete batch
        "empty": b"",
        "two batches": batch + dw.build_batch([b"y"]),
    }
    with dw.Conn(b) as conn:
        for name, records in cases.items():
            for version in (3, 9):
                res = dw.produce(conn, version, "t", 0, records)
                assert res[("t", 0)]["error_code"] == dw.INVALID_RECORD, (name, version)
        assert latest(conn, "t") == 0
        assert_serving(b, conn)


def test_batch_larger_than_max_message_bytes_is_message_too_large(b):
    # Incompressible, so the batch on the wire is larger than the default max.message.bytes.
    big = dw.build_batch([os.urandom(DEFAULT_MAX_MESSAGE_BYTES + 1024)])
    assert len(big) > DEFAULT_MAX_MESSAGE_BYTES
    fits = dw.build_batch([os.urandom(DEFAULT_MAX_MESSAGE_BYTES - 1024)])
    with dw.Conn(b, timeout=30) as conn:
        for version in (3, 8, 9):
            res = dw.produce(conn, version, "t", 1, big)
            assert res[("t", 1)]["error_code"] == dw.MESSAGE_TOO_LARGE, version
        assert latest(conn, "t", 1) == 0
        res = dw.produce(conn, 8, "t", 1, fits)
        assert (res[("t", 1)]["error_code"], res[("t", 1)]["base_offset"]) == (0, 0)
        assert latest(conn, "t", 1) == 1
        assert_serving(b, conn)


def test_librdkafka_producer_sees_message_too_large(b):
    p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all", "message.max.bytes": 4_000_000,
                  "compression.type": "none"})
    reports = []
    p.produce("t", value=os.urandom(2_000_000), partition=0, on_delivery=lambda e, m: reports.append(e))
    assert p.flush(30) == 0
    ((err,),) = [reports]
    assert err is not None and err.code() == KafkaError.MSG_SIZE_TOO_LARGE
    assert_serving(b)


def test_produce_to_unknown_topic_or_partition(b):
    batch = dw.build_batch([b"a"])
    with dw.Conn(b) as conn:
        assert dw.produce(conn, 7, "never-created", 0, batch)[("never-created", 0)]["error_code"] == \
            dw.UNKNOWN_TOPIC_OR_PARTITION
        assert dw.produce(conn, 9, "t", 5, batch)[("t", 5)]["error_code"] == dw.UNKNOWN_TOPIC_OR_PARTITION
        assert_serving(b, conn)
    assert "never-created" not in AdminClient({"bootstrap.servers": b.bootstrap}).list_topics(timeout=15).topics


def test_fetch_unknown_and_deleted_topic(b):
    with dw.Conn(b) as conn:
        for version in (4, 11, 12):
            err, part = dw.fetch(conn, version, "never-created", 0, 0)
            assert (err, part["error_code"]) == (0, dw.UNKNOWN_TOPIC_OR_PARTITION), version
        assert dw.fetch(conn, 11, "t", 9, 0)[1]["error_code"] == dw.UNKNOWN_TOPIC_OR_PARTITION
        err, part = dw.fetch(conn, 13, None, 0, 0, topic_id=uuid.uuid4())
        assert (err, part["error_code"]) == (0, dw.UNKNOWN_TOPIC_ID)

        # A topic that existed: readable by name and by id, then unknown after DeleteTopics.
        assert dw.produce(conn, 8, "t", 0, dw.build_batch([b"one", b"two"]))[("t", 0)]["error_code"] == 0
        tid = topic_id_on_disk(b, "t")
        err, part = dw.fetch(conn, 13, None, 0, 0, topic_id=tid)
        assert (err, part["error_code"], part["topic"]) == (0, 0, tid)
        assert [r[3] for r in dw.decode_records(part["records"])] == [b"one", b"two"]

        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        admin.delete_topics(["t"], operation_timeout=30)["t"].result(timeout=30)
        wait_until(lambda: "t" not in admin.list_topics(timeout=15).topics, 15, "t to be deleted")
        for version in (11, 12):
            assert dw.fetch(conn, version, "t", 0, 0)[1]["error_code"] == dw.UNKNOWN_TOPIC_OR_PARTITION, version
        assert dw.fetch(conn, 13, None, 0, 0, topic_id=tid)[1]["error_code"] == dw.UNKNOWN_TOPIC_ID
        assert dw.list_offsets(conn, 5, "t", 0, dw.LATEST)[0] == dw.UNKNOWN_TOPIC_OR_PARTITION
        assert_serving(b, conn)


def test_fetch_past_the_end_is_offset_out_of_range(b):
    values = [f"r{i}".encode() for i in range(10)]
    with dw.Conn(b) as conn:
        assert dw.produce(conn, 8, "t", 0, dw.build_batch(values))[("t", 0)]["error_code"] == 0
        tid = topic_id_on_disk(b, "t")
        for version, kw in ((4, {}), (11, {}), (12, {}), (13, {"topic_id": tid})):
            topic = None if kw else "t"
            # At the high watermark: no error, nothing to return yet.
            err, part = dw.fetch(conn, version, topic, 0, 10, **kw)
            assert (err, part["error_code"], part["high_watermark"]) == (0, 0, 10), version
            assert not dw.decode_records(part["records"])
            # Past it, or negative: OFFSET_OUT_OF_RANGE.
            for offset in (11, 1_000_000, -1):
                err, part = dw.fetch(conn, version, topic, 0, offset, **kw)
                assert (err, part["error_code"]) == (0, dw.OFFSET_OUT_OF_RANGE), (version, offset)
            err, part = dw.fetch(conn, version, topic, 0, 3, **kw)
            assert part["error_code"] == 0
            assert [(r[0], r[3]) for r in dw.decode_records(part["records"]) if r[0] >= 3] == \
                list(zip(range(3, 10), values[3:]))
        assert_serving(b, conn)

    # A real consumer sees the same: out of range with auto.offset.reset=error is reported to the app.
    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "unused", "auto.offset.reset": "error",
                  "enable.auto.commit": False})
    try:
        c.assign([TopicPartition("t", 0, 500)])
        err = wait_until(lambda: next((m.error() for m in c.consume(10, timeout=0.5) if m.error()), None), 30,
                         "the consumer to report the out-of-range offset")
        assert err.code() == KafkaError._AUTO_OFFSET_RESET, err
    finally:
        c.close()
    assert_serving(b)
