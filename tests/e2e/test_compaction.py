"""Log compaction through real clients: a compacted topic keeps each key's latest value (readers from
the beginning see exactly one, the newest, per key, in offset order across the gaps), keyless
records are refused as Kafka refuses them, __consumer_offsets shrinks under repeated commits of the
same groups and still restores them after a restart, and a broker killed with SIGKILL at random
moments while it compacts under produce load comes back with every acknowledged live key intact."""
import json
import os
import pathlib
import random
import signal
import threading
import time
import urllib.request

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import confluent_read_all, end_offsets, wait_until

# Cleaning as soon as a segment closes: small segments, any dirt is enough, no lag.
FAST_CLEANER = ("--set", "log.cleaner.backoff.ms=100")
COMPACT_CONFIG = {"cleanup.policy": "compact", "segment.bytes": "16384", "min.cleanable.dirty.ratio": "0.01",
                  "min.compaction.lag.ms": "0", "delete.retention.ms": "0"}


def create_topic(bootstrap, name, partitions, config):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, partitions, 1, config=config)])[name].result(30)


def cleaner_status(broker):
    with urllib.request.urlopen(f"{broker.admin_url}/v1/status", timeout=10) as r:
        return json.load(r)["cleaner"]


def cleanings(broker):
    return sum(1 for line in broker.log if "event=log_cleaned" in line)


def partition_bytes(data_dir, topic, partition):
    d = pathlib.Path(data_dir) / f"{topic}-{partition}"
    return sum(f.stat().st_size for f in d.glob("*.log"))


def read_latest(bootstrap, topic, partitions):
    """{key: (partition, offset, value)} of the last record per key read from the beginning, plus the
    count of records read; checks offsets strictly increase within each partition."""
    ends = end_offsets(bootstrap, topic, partitions)
    got = confluent_read_all(bootstrap, topic, ends, timeout=60)
    latest, count = {}, 0
    for p, msgs in got.items():
        offsets = [m.offset() for m in msgs]
        assert offsets == sorted(set(offsets)), f"partition {p}: offsets not strictly increasing"
        for m in msgs:
            latest[m.key()] = (p, m.offset(), m.value())
            count += 1
    return latest, count


def test_compacted_topic_keeps_the_latest_value_per_key(start_broker):
    broker = start_broker(*FAST_CLEANER)
    create_topic(broker.bootstrap, "changelog", 2, COMPACT_CONFIG)
    rng = random.Random(13)
    # Small lz4 batches, so that the topic spans many 16 KiB segments and rebuilt batches keep a codec.
    producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "linger.ms": 5,
                         "enable.idempotence": True, "compression.type": "lz4", "batch.size": 4096})
    keys, rounds = 1000, 8
    want = {}
    for r in range(rounds):
        for k in range(keys):
            key = f"key-{k:04d}".encode()
            value = f"{key.decode()}-v{r}-{rng.getrandbits(160):040x}".encode()
            producer.produce("changelog", key=key, value=value)
            want[key] = value
    # Tombstones for every tenth key: with delete.retention.ms=0 they go on a later cleaning.
    deleted = {f"key-{k:04d}".encode() for k in range(0, keys, 10)}
    for key in deleted:
        producer.produce("changelog", key=key, value=None)
        want.pop(key)
    assert producer.flush(60) == 0
    total = sum(end_offsets(broker.bootstrap, "changelog", 2).values())
    assert total == keys * rounds + len(deleted)

    # Cleaned: far fewer records than were written (8 versions per key), within seconds.
    def compacted():
        latest, count = read_latest(broker.bootstrap, "changelog", 2)
        return (latest, count) if count < total / 3 else None
    latest, count = wait_until(compacted, 60, "the cleaner to compact the topic", interval=0.5)
    # Every live key reads as its newest value; deleted keys are gone or, in the active segment, still tombstones.
    for key, value in want.items():
        assert key in latest, f"live key {key!r} missing after compaction"
        assert latest[key][2] == value, f"{key!r}: read {latest[key][2]!r}, want the latest {value!r}"
    for key in deleted:
        assert key not in latest or latest[key][2] is None, f"deleted {key!r} reads {latest[key][2]!r}"
    status = cleaner_status(broker)
    assert status["cleanings"] > 0 and status["records_removed"] > 0, status
    assert any(p["topic"] == "changelog" for p in status["partitions"]), status

    # The same through kafka-python, which decodes batches with gaps its own way.
    from kafka import KafkaConsumer
    consumer = KafkaConsumer("changelog", bootstrap_servers=broker.bootstrap, auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=5000)
    seen = {}
    try:
        for m in consumer:
            seen[m.key] = m.value
    finally:
        consumer.close()
    assert {k: v for k, v in seen.items() if v is not None} == want


def test_keyless_records_are_refused_by_a_compacted_topic(start_broker):
    broker = start_broker()
    create_topic(broker.bootstrap, "compacted", 1, {"cleanup.policy": "compact"})
    producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "retries": 0})
    errors = []
    producer.produce("compacted", value=b"no key", on_delivery=lambda err, msg: errors.append(err))
    assert producer.flush(30) == 0  # alone in its batch: Kafka refuses a batch as a whole
    producer.produce("compacted", key=b"k", value=b"keyed", on_delivery=lambda err, msg: errors.append(err))
    assert producer.flush(30) == 0
    assert errors[0] is not None and errors[0].code() == KafkaError.INVALID_RECORD, errors
    assert errors[1] is None, errors
    assert end_offsets(broker.bootstrap, "compacted", 1) == {0: 1}


def test_consumer_offsets_shrink_and_survive_a_restart(start_broker, tmp_path):
    data = tmp_path / "data"
    args = (*FAST_CLEANER, "--set", "topics=orders:3", "--set", "offsets.topic.num.partitions=1", "--set", "offsets.topic.segment.bytes=16384")
    broker = start_broker(*args, data_dir=data)
    groups, commits = 5, 400
    last = {}
    consumers = [Consumer({"bootstrap.servers": broker.bootstrap, "group.id": f"g{g}", "enable.auto.commit": False})
                 for g in range(groups)]
    try:
        for i in range(commits):
            for g, c in enumerate(consumers):
                offsets = [TopicPartition("orders", p, i * 10 + g + p) for p in range(3)]
                c.commit(offsets=offsets, asynchronous=False)
                last[f"g{g}"] = {tp.partition: tp.offset for tp in offsets}
    finally:
        for c in consumers:
            c.close()
    # 6,000 offset records of ~100 bytes were written; one per (group, partition) stays live, in
    # cleaned segments, beside the active segment (at most 16 KiB).
    written = partition_bytes(data, "__consumer_offsets", 0)
    wait_until(lambda: cleanings(broker) > 0, 30, "a cleaning of __consumer_offsets")
    wait_until(lambda: partition_bytes(data, "__consumer_offsets", 0) < 16384 * 2, 30,
               f"__consumer_offsets ({written} bytes before) to shrink below two segments", interval=0.2)

    broker.stop()
    broker = start_broker(*args, data_dir=data)
    for g, want in last.items():
        c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": g})
        try:
            got = c.committed([TopicPartition("orders", p) for p in range(3)], timeout=20)
        finally:
            c.close()
        assert {tp.partition: tp.offset for tp in got} == want, g


def test_sigkill_while_compacting_loses_no_acknowledged_live_key(start_broker, tmp_path):
    """Rounds of: produce updates of 200 keys (value = key and a counter) while the cleaner compacts;
    SIGKILL at a random moment after cleanings began; restart. Each key must read as its newest
    acknowledged value or a newer one that was written but not acknowledged before the kill."""
    rng = random.Random(int(os.environ.get("SPATE_FAULT_SEED", "0")) or None)
    data = tmp_path / "data"
    rounds, keys = 10, 200
    broker = start_broker(*FAST_CLEANER, data_dir=data)
    create_topic(broker.bootstrap, "crashy", 2, COMPACT_CONFIG)
    acked = {}     # key -> highest acknowledged counter
    attempted = {}  # key -> highest counter sent
    counter = 0
    for round_no in range(rounds):
        producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "linger.ms": 2,
                             "enable.idempotence": True, "message.timeout.ms": 10000,
                             "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 200})

        def on_delivery(err, msg):
            if err is None:
                key, n = msg.key(), int(msg.value().split(b":")[1])
                acked[key] = max(acked.get(key, -1), n)

        killed = threading.Event()
        cleanings_before = cleanings(broker)

        def killer():
            wait_until(lambda: cleanings(broker) > cleanings_before, 60, f"a cleaning in round {round_no}")
            time.sleep(rng.uniform(0, 0.5))  # the fault's timing, not synchronisation
            broker.proc.send_signal(signal.SIGKILL)
            broker.proc.wait(timeout=15)
            killed.set()

        t = threading.Thread(target=killer, daemon=True)
        t.start()
        deadline = time.monotonic() + 90
        while not killed.is_set():
            assert time.monotonic() < deadline, "the kill never happened"
            key = f"k{rng.randrange(keys):03d}".encode()
            counter += 1
            try:
                producer.produce("crashy", key=key, value=b"%s:%d:%s" % (key, counter, b"p" * 60), on_delivery=on_delivery)
                attempted[key] = counter
            except BufferError:
                producer.poll(0.01)
            producer.poll(0)
        t.join()
        # Acknowledgements received before the kill are reported by poll(); what was still in flight
        # is purged (reported as failed: never acknowledged) instead of waiting for its time-out.
        producer.poll(0.5)
        producer.purge()
        producer.flush(5)
        broker = start_broker(*FAST_CLEANER, data_dir=data)
        latest, _ = read_latest(broker.bootstrap, "crashy", 2)
        for key, n in acked.items():
            assert key in latest, f"round {round_no}: acknowledged key {key!r} missing"
            got = int(latest[key][2].split(b":")[1])
            assert got >= n, f"round {round_no}: {key!r} reads counter {got}, older than the acknowledged {n}"
            assert got <= attempted[key], f"{key!r} reads a counter never written"
