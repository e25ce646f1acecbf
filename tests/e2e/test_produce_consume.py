"""Produce and consume end to end with three independent client stacks: kcat (librdkafka, every codec),
confluent-kafka-python (100,000 acks=all records, exactly once and in order) and kafka-python; and
ListOffsets (earliest, latest, by timestamp, max timestamp) as clients and raw requests see it."""
import json
import random
import string

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from kafka import KafkaConsumer, KafkaProducer
from kafka import TopicPartition as KTopicPartition

import data_wire as dw
from conftest import confluent_read_all, run_kcat

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
HEADERS = [("trace-id", "0af7651916cd43dd8448eb211c80319c"), ("source", "kcat e2e"), ("empty", "")]


def random_text(rng, n, alphabet=string.ascii_letters + string.digits + string.punctuation.replace("|", "") + " "):
    return "".join(rng.choice(alphabet) for _ in range(n))


@pytest.mark.parametrize("codec", CODECS)
def test_kcat_10k_keyed_records_with_headers_round_trip_byte_exact(start_broker, codec):
    b = start_broker("--set", "topics=kc:2")
    rng = random.Random(f"kcat-{codec}")
    records = []
    for i in range(10_000):
        key = f"key-{i:05d}-{random_text(rng, rng.randint(0, 20))}"
        # Mostly small values, some larger and repetitive ones so every codec has real work.
        n = rng.choice([1, 10, 100, 300]) if i % 50 else 4000
        value = random_text(rng, n) if i % 3 else ("abc" * n)[:n]
        records.append((key, value))
    data = "".join(f"{k}|{v}\n" for k, v in records).encode()
    header_args = [a for name, value in HEADERS for a in ("-H", f"{name}={value}")]
    run_kcat("-b", b.bootstrap, "-P", "-t", "kc", "-p", "1", "-z", codec, "-K", "|", *header_args,
             "-X", "acks=all", "-X", "linger.ms=20", input=data, timeout=120)

    out = run_kcat("-b", b.bootstrap, "-C", "-t", "kc", "-o", "beginning", "-e", "-J", timeout=120)
    msgs = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    assert len(msgs) == len(records)
    assert {m["partition"] for m in msgs} == {1}, "every record was produced to partition 1"
    assert [m["offset"] for m in msgs] == list(range(len(records))), "offsets are dense from 0"
    assert [(m["key"], m["payload"]) for m in msgs] == records
    for m in msgs:
        headers = m.get("headers")
        if isinstance(headers, list):  # kcat prints [name, value, name, value, ...]
            headers = list(zip(headers[0::2], headers[1::2]))
        else:
            headers = list((headers or {}).items())
        assert headers == HEADERS, m
        assert m["tstype"] == "create" and m["ts"] > 0

    # The broker keeps the producer's compression (compression.type=producer, Kafka's default):
    # every stored batch carries the codec kcat used, and batches hold many records.
    with dw.Conn(b) as conn:
        err, part = dw.fetch(conn, 11, "kc", 1, 0, max_bytes=64 << 20)
    assert (err, part["error_code"], part["high_watermark"]) == (0, 0, len(records))
    codecs = dw.batch_codecs(part["records"])
    assert codecs and set(codecs) == {dw.CODECS[codec]}
    assert len(codecs) < len(records) // 10, "records are batched"


@pytest.mark.parametrize("codec", CODECS)
def test_raw_compressed_batch_stored_as_sent_and_decoded_by_clients(start_broker, codec):
    """Independent of librdkafka's codec negotiation: a batch compressed by kafka-python is stored with
    its codec, served back, and decoded identically by kafka-python and by kcat (librdkafka)."""
    b = start_broker("--set", "topics=raw:1")
    rng = random.Random(f"raw-{codec}")
    values = [(random_text(rng, rng.randint(1, 200)) * rng.randint(1, 5)).encode() for _ in range(500)]
    builder = dw.DefaultRecordBatchBuilder(magic=2, compression_type=dw.CODECS[codec], is_transactional=0,
                                           producer_id=-1, producer_epoch=-1, base_sequence=-1, batch_size=1 << 30)
    t0 = 1_700_000_000_000
    for i, v in enumerate(values):
        builder.append(i, timestamp=t0 + i, key=f"k{i}".encode(), value=v, headers=[("h", f"{i}".encode())])
    batch = bytes(builder.build())
    with dw.Conn(b) as conn:
        for version in (3, 9):
            res = dw.produce(conn, version, "raw", 0, batch)[("raw", 0)]
            if codec == "zstd" and version < 7:
                assert res["error_code"] == dw.UNSUPPORTED_COMPRESSION_TYPE
                continue
            assert res["error_code"] == 0, res
        n = 1 if codec == "zstd" else 2
        assert res["base_offset"] == 500 * (n - 1)
        err, part = dw.fetch(conn, 12, "raw", 0, 0, max_bytes=16 << 20)
        assert (err, part["error_code"], part["high_watermark"]) == (0, 0, 500 * n)
        assert dw.batch_codecs(part["records"]) == [dw.CODECS[codec]] * n
        got = dw.decode_records(part["records"])
    expected = [(base + i, t0 + i, f"k{i}".encode(), v, [("h", f"{i}".encode())])
                for base in range(0, 500 * n, 500) for i, v in enumerate(values)]
    assert [r[:5] for r in got] == expected
    out = run_kcat("-b", b.bootstrap, "-C", "-t", "raw", "-o", "beginning", "-e", "-J", timeout=60)
    msgs = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    assert [(m["offset"], m["ts"], m["key"].encode(), m["payload"].encode()) for m in msgs] == [e[:4] for e in expected]


def test_confluent_100k_acks_all_consumed_exactly_once_in_order(start_broker):
    b = start_broker("--set", "topics=bulk:3")
    producer = Producer({"bootstrap.servers": b.bootstrap, "acks": "all", "linger.ms": 10,
                         "message.timeout.ms": 60000})
    acked = {0: [], 1: [], 2: []}  # partition -> [(offset, key, value)] in delivery order
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(err)
        else:
            acked[msg.partition()].append((msg.offset(), msg.key(), msg.value()))

    total = 100_000
    for i in range(total):
        key, value = f"k{i}".encode(), f"value-{i:06d}-{'x' * (i % 64)}".encode()
        while True:
            try:
                producer.produce("bulk", value=value, key=key, on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.05)
        if i % 1000 == 0:
            producer.poll(0)
    assert producer.flush(90) == 0, "every record got a delivery report"
    assert errors == []
    assert sum(len(v) for v in acked.values()) == total
    for p, recs in acked.items():
        assert recs, f"partition {p} got records"
        assert [o for o, _, _ in recs] == list(range(len(recs))), f"partition {p}: acked offsets dense from 0"
        seq = [int(k[1:]) for _, k, _ in recs]
        assert seq == sorted(seq), f"partition {p}: acknowledged in production order"

    got = confluent_read_all(b.bootstrap, "bulk", {p: len(r) for p, r in acked.items()}, timeout=90)
    for p, recs in acked.items():
        assert [(m.offset(), m.key(), m.value()) for m in got[p]] == recs, f"partition {p}"

    # Nothing beyond the acknowledged records.
    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "unused"})
    try:
        for p, recs in acked.items():
            assert c.get_watermark_offsets(TopicPartition("bulk", p), timeout=15, cached=False) == (0, len(recs))
    finally:
        c.close()


@pytest.mark.parametrize("compression", [None, "gzip", "lz4"])
def test_kafka_python_produce_consume(start_broker, compression):
    b = start_broker("--set", "topics=kp:2")
    producer = KafkaProducer(bootstrap_servers=b.bootstrap, acks="all", linger_ms=5,
                             compression_type=compression, request_timeout_ms=15000)
    sent = {0: [], 1: []}
    try:
        futures = []
        base_ts = 1_700_000_000_000
        for i in range(2000):
            p = i % 2
            headers = [("n", str(i).encode()), ("dup", b"a"), ("dup", b"b")]
            value = None if i % 97 == 0 else f"v{i}".encode() * (1 + i % 7)  # some tombstones
            key = None if i % 89 == 0 and value is not None else f"k{i}".encode()
            futures.append((p, key, value, headers, base_ts + i,
                            producer.send("kp", key=key, value=value, headers=headers, partition=p,
                                          timestamp_ms=base_ts + i)))
        producer.flush(timeout=60)
        for p, key, value, headers, ts, fut in futures:
            md = fut.get(timeout=30)
            assert (md.topic, md.partition) == ("kp", p)
            sent[p].append((md.offset, key, value, headers, ts))
    finally:
        producer.close(timeout=10)
    for p, recs in sent.items():
        assert [r[0] for r in recs] == list(range(1000)), f"partition {p}: offsets dense from 0"

    consumer = KafkaConsumer(bootstrap_servers=b.bootstrap, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="earliest", request_timeout_ms=15000, fetch_max_wait_ms=100)
    try:
        tps = [KTopicPartition("kp", p) for p in sent]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        got = {0: [], 1: []}
        import time
        deadline = time.monotonic() + 60
        while any(len(got[p]) < len(sent[p]) for p in sent):
            assert time.monotonic() < deadline, {p: len(v) for p, v in got.items()}
            for tp, msgs in consumer.poll(timeout_ms=500).items():
                got[tp.partition].extend(
                    (m.offset, m.key, m.value, [(k, v) for k, v in m.headers], m.timestamp) for m in msgs)
        assert got == sent
        assert consumer.end_offsets(tps) == {tp: 1000 for tp in tps}
        assert consumer.beginning_offsets(tps) == {tp: 0 for tp in tps}
    finally:
        consumer.close()


def test_list_offsets_earliest_latest_by_timestamp_and_max_timestamp(start_broker):
    b = start_broker("--set", "topics=times:1")
    t0 = 1_700_000_000_000
    producer = Producer({"bootstrap.servers": b.bootstrap, "acks": "all", "linger.ms": 50})
    offsets = []

    def produce_chunk(timestamps):
        for ts in timestamps:
            producer.produce("times", value=str(ts).encode(), partition=0, timestamp=ts,
                             on_delivery=lambda err, msg: offsets.append((err, msg.offset(), msg.timestamp())))
        assert producer.flush(30) == 0

    # Three chunks (so at least three batches, each holding many records), timestamps 10 ms apart.
    for chunk in range(3):
        produce_chunk([t0 + 10 * i for i in range(chunk * 100, chunk * 100 + 100)])
    # Then the partition's maximum timestamp, followed by an older one (out of order is allowed).
    produce_chunk([t0 + 100_000, t0 + 5])
    assert [e for e, _, _ in offsets] == [None] * 302
    assert sorted(o for _, o, _ in offsets) == list(range(302))

    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "unused"})
    try:
        assert c.get_watermark_offsets(TopicPartition("times", 0), timeout=15, cached=False) == (0, 302)
        expectations = {
            t0 - 1_000: 0,            # before everything: the first record
            t0: 0,
            t0 + 1: 1,                # first record with timestamp >= target, inside a batch
            t0 + 1495: 150,
            t0 + 1500: 150,
            t0 + 2990: 299,
            t0 + 2991: 300,           # only the max-timestamp record is newer
            t0 + 100_000: 300,
            t0 + 100_001: -1,         # nothing that new: Kafka answers offset -1 (end)
        }
        for ts, want in expectations.items():
            (tp,) = c.offsets_for_times([TopicPartition("times", 0, ts)], timeout=15)
            assert tp.error is None and tp.offset == want, (ts - t0, tp)
    finally:
        c.close()

    kc = KafkaConsumer(bootstrap_servers=b.bootstrap, group_id=None, request_timeout_ms=15000)
    try:
        tp = KTopicPartition("times", 0)
        assert kc.beginning_offsets([tp]) == {tp: 0} and kc.end_offsets([tp]) == {tp: 302}
        found = kc.offsets_for_times({tp: t0 + 1500})[tp]
        assert (found.offset, found.timestamp) == (150, t0 + 1500)
        assert kc.offsets_for_times({tp: t0 + 100_001})[tp] is None
    finally:
        kc.close()

    with dw.Conn(b) as conn:
        for version in (1, 4, 5, 6, 7):
            assert dw.list_offsets(conn, version, "times", 0, dw.EARLIEST)[::2] == (0, 0), version
            assert dw.list_offsets(conn, version, "times", 0, dw.LATEST)[::2] == (0, 302), version
            assert dw.list_offsets(conn, version, "times", 0, t0 + 1500) == (0, t0 + 1500, 150), version
            assert dw.list_offsets(conn, version, "times", 0, t0 + 100_001) == (0, -1, -1), version
        # MAX_TIMESTAMP (v7+, KIP-734): the offset and timestamp of the record with the largest timestamp.
        assert dw.list_offsets(conn, 7, "times", 0, dw.MAX_TIMESTAMP) == (0, t0 + 100_000, 300)
        assert dw.list_offsets(conn, 7, "times", 5, dw.LATEST)[0] == dw.UNKNOWN_TOPIC_OR_PARTITION


@pytest.mark.parametrize("version", [2, 3, 4])
def test_offset_for_leader_epoch(start_broker, version):
    b = start_broker("--set", "topics=epochs:2")
    with dw.Conn(b) as conn:
        assert dw.produce(conn, 8, "epochs", 0, dw.build_batch([b"a"] * 10))[("epochs", 0)]["error_code"] == 0
        # The partition has had one leader epoch (Metadata says 0): its end offset is the log end.
        assert dw.offset_for_leader_epoch(conn, version, "epochs", 0, 0, current_leader_epoch=0) == (0, 0, 10)
        assert dw.offset_for_leader_epoch(conn, version, "epochs", 0, 0) == (0, 0, 10)
        assert dw.offset_for_leader_epoch(conn, version, "epochs", 1, 0) == (0, 0, 0)
        # An epoch newer than any the log has seen: undefined epoch and offset (Kafka's answer).
        assert dw.offset_for_leader_epoch(conn, version, "epochs", 0, 7) == (0, -1, -1)
        # The client believes in a newer leader epoch than the broker's: UNKNOWN_LEADER_EPOCH.
        assert dw.offset_for_leader_epoch(conn, version, "epochs", 0, 0, current_leader_epoch=3)[0] == \
            dw.UNKNOWN_LEADER_EPOCH
        assert dw.offset_for_leader_epoch(conn, version, "epochs", 9, 0)[0] == dw.UNKNOWN_TOPIC_OR_PARTITION
        assert dw.offset_for_leader_epoch(conn, version, "nope", 0, 0)[0] == dw.UNKNOWN_TOPIC_OR_PARTITION
        # Fetched batches carry the leader epoch they were appended in.
        err, part = dw.fetch(conn, 11, "epochs", 0, 0)
        assert part["records"][12:16] == b"\x00\x00\x00\x00"


def test_fetch_long_poll_waits_for_data_and_honours_max_wait(start_broker):
    import threading
    import time
    b = start_broker("--set", "topics=poll:1")
    with dw.Conn(b) as conn:
        # Nothing to read: the broker holds the fetch for max_wait_ms, then answers empty.
        start = time.monotonic()
        err, part = dw.fetch(conn, 11, "poll", 0, 0, max_wait_ms=600)
        elapsed = time.monotonic() - start
        assert (err, part["error_code"], part["high_watermark"]) == (0, 0, 0)
        assert not dw.decode_records(part["records"])
        assert 0.5 <= elapsed < 5, elapsed
    # A long poll (20 s) is answered as soon as a record is appended by another client.
    result = {}

    def poll():
        with dw.Conn(b, timeout=30) as c:
            t = time.monotonic()
            result["fetch"] = dw.fetch(c, 12, "poll", 0, 0, max_wait_ms=20_000)
            result["elapsed"] = time.monotonic() - t

    th = threading.Thread(target=poll)
    th.start()
    with dw.Conn(b) as conn:
        assert dw.produce(conn, 9, "poll", 0, dw.build_batch([b"wake"]))[("poll", 0)]["error_code"] == 0
    th.join(timeout=30)
    assert not th.is_alive()
    err, part = result["fetch"]
    assert (err, part["error_code"]) == (0, 0)
    assert [r[3] for r in dw.decode_records(part["records"])] == [b"wake"]
    assert result["elapsed"] < 10, result["elapsed"]


def test_fetch_sessions_incremental_fetches(start_broker):
    b = start_broker("--set", "topics=sess:2")
    with dw.Conn(b) as conn:
        assert dw.produce(conn, 8, "sess", 0, dw.build_batch([b"a", b"b"]))[("sess", 0)]["error_code"] == 0
        # Full fetch that opens a session (session_id 0, epoch 0): every partition is answered.
        err, sid, parts = dw.fetch_session(conn, 11, [("sess", [(0, 0), (1, 0)])], 0, 0)
        assert err == 0 and sid != 0
        assert sorted(parts) == [("sess", 0), ("sess", 1)]
        assert [r[3] for r in dw.decode_records(parts[("sess", 0)]["records"])] == [b"a", b"b"]
        # Incremental fetch (epoch 1) that moves partition 0's offset past what was read (partition 1
        # keeps its session offset 0): nothing new anywhere, so no partitions in the answer.
        err, sid1, parts = dw.fetch_session(conn, 11, [("sess", [(0, 2)])], sid, 1)
        assert (err, sid1, parts) == (0, sid, {})
        # Data arrives on partition 1 only: the next incremental fetch returns just that partition.
        assert dw.produce(conn, 8, "sess", 1, dw.build_batch([b"c"]))[("sess", 1)]["error_code"] == 0
        err, _, parts = dw.fetch_session(conn, 11, [], sid, 2)
        assert err == 0 and sorted(parts) == [("sess", 1)]
        assert parts[("sess", 1)]["high_watermark"] == 1
        assert [r[3] for r in dw.decode_records(parts[("sess", 1)]["records"])] == [b"c"]
        # Kafka's session errors: a wrong epoch, an unknown session id.
        assert dw.fetch_session(conn, 11, [], sid, 7)[0] == dw.INVALID_FETCH_SESSION_EPOCH
        assert dw.fetch_session(conn, 11, [], sid ^ 0x5A5A5A5, 1)[0] == dw.FETCH_SESSION_ID_NOT_FOUND
        # A session-less full fetch still works alongside.
        err, sid0, parts = dw.fetch_session(conn, 11, [("sess", [(1, 0)])], 0, -1)
        assert (err, sid0, sorted(parts)) == (0, 0, [("sess", 1)])
