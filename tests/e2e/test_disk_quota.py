"""The disk quota on a small filesystem of its own (a 128 MiB tmpfs the test mounts; needs root).

Producers with acks=all write as fast as they can to two topics: `events`, which the trim policy may
trim and which a consumer group that stopped long ago (`laggard`) has not read, and `archive`, which
it may not (quota.trim.enable=false). The broker throttles them (soft), trims the oldest segments of
`events` naming `laggard`, refuses appends with a retriable error once only untrimmable data is left
(hard) while consumers still commit, and resumes by itself when the operator deletes `archive`.
Every acknowledged record of `events` that the policy did not trim is read exactly once; every
trimmed range is reported; the filesystem never fills; no partition fails; no producer sees a
non-retriable error."""
import json
import os
import re
import subprocess
import threading
import time
import urllib.request

import pytest
from confluent_kafka import KafkaError, Producer, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import confluent_read_all, end_offsets, wait_until

TRIMMED, KEPT = "events", "archive"
PARTITIONS = 3
VALUE_SIZE = 4096
SEGMENT_BYTES = 1 << 20
PURGED = {KafkaError._PURGE_QUEUE, KafkaError._PURGE_INFLIGHT}


@pytest.fixture
def tmpfs(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=128m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs for the quota to fill (needs root): {r.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def http_json(broker, path):
    return json.loads(urllib.request.urlopen(broker.admin_url + path, timeout=5).read())


def metric_lines(broker, name):
    text = urllib.request.urlopen(broker.admin_url + "/metrics", timeout=5).read().decode()
    return [line for line in text.splitlines() if line.startswith(name)]


class Watcher(threading.Thread):
    """Records the quota's states as they change and the least free space the filesystem had."""

    def __init__(self, broker, mnt):
        super().__init__(daemon=True)
        self.broker, self.mnt = broker, mnt
        self.states = []
        self.min_free = None
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            st = os.statvfs(self.mnt)
            free = st.f_bavail * st.f_frsize
            self.min_free = free if self.min_free is None else min(self.min_free, free)
            try:
                state = http_json(self.broker, "/v1/status")["disk_quota"]["state"]
                if not self.states or self.states[-1] != state:
                    self.states.append(state)
            except OSError:
                pass
            time.sleep(0.02)


class Writer(threading.Thread):
    """One idempotent acks=all producer writing as fast as it can; records what was acknowledged,
    the delivery errors and the throttle times the broker reported."""

    def __init__(self, bootstrap, topic, name):
        super().__init__(daemon=True)
        self.topic, self.name = topic, name
        self.acked = {}  # record id -> (partition, offset)
        self.errors = []
        self.throttles = []
        self.stop = threading.Event()
        self.purge = False
        self.unflushed = None
        self.producer = Producer({
            "bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 5,
            "batch.size": 262144, "message.timeout.ms": 240000, "queue.buffering.max.kbytes": 16384,
            "throttle_cb": lambda event: self.throttles.append(event.throttle_time)})

    def on_delivery(self, err, msg):
        if err is not None:
            self.errors.append(err)
        else:
            self.acked[msg.value()[:24].decode()] = (msg.partition(), msg.offset())

    def run(self):
        pad = b"x" * (VALUE_SIZE - 24)
        i = 0
        while not self.stop.is_set():
            record_id = f"{self.name}-{i:012d}".rjust(24)
            try:
                self.producer.produce(self.topic, key=str(i).encode(), value=record_id.encode() + pad,
                                      on_delivery=self.on_delivery)
                i += 1
            except BufferError:
                self.producer.poll(0.05)
            self.producer.poll(0)
        if self.purge:
            self.producer.purge()
        self.unflushed = self.producer.flush(240)

    def finish(self, purge=False):
        self.purge = purge
        self.stop.set()
        self.join(300)
        assert not self.is_alive() and self.unflushed == 0, f"{self.name}: {self.unflushed} records never delivered"

    def broker_errors(self):
        return [e for e in self.errors if e.code() not in PURGED]


def trim_lines(broker):
    pattern = re.compile(r"event=disk_quota_trim topic=(\S+) partition=(\d+) offsets=(\d+)-(\d+) .*"
                         r"groups_losing_unread=(\S+)")
    return [m.groups() for m in (pattern.search(line) for line in broker.log) if m]


def test_soft_throttles_and_trims_naming_lagging_groups_hard_refuses_retriably_and_freeing_space_resumes(
        tmpfs, start_broker):
    broker = start_broker("--set", "disk.quota.trim.min.age.ms=0", "--set", "disk.quota.check.interval.ms=100",
                          "--set", "disk.quota.throttle.max.ms=300", data_dir=tmpfs / "data")
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    segment = {"segment.bytes": str(SEGMENT_BYTES)}
    for f in admin.create_topics([NewTopic(TRIMMED, PARTITIONS, 1, config=segment),
                                  NewTopic(KEPT, 1, 1, config={**segment, "quota.trim.enable": "false"})]).values():
        f.result(15)
    # A group that read nothing and stopped: every trimmed record is one it had not read.
    laggard = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "laggard"})
    laggard.commit(offsets=[TopicPartition(TRIMMED, p, 0) for p in range(PARTITIONS)], asynchronous=False)
    laggard.close()

    watcher = Watcher(broker, tmpfs)
    watcher.start()
    events = [Writer(broker.bootstrap, TRIMMED, f"e{n}") for n in range(2)]
    archive = Writer(broker.bootstrap, KEPT, "a")
    for w in [*events, archive]:
        w.start()

    # Soft: throttled producers and trims of `events` that name `laggard`.
    wait_until(lambda: "soft" in watcher.states, 90, "the soft state")
    wait_until(lambda: any(topic == TRIMMED for topic, *_ in trim_lines(broker)), 60, "a trim of events")
    wait_until(lambda: any(w.throttles and max(w.throttles) > 0 for w in [*events, archive]), 30,
               "a throttle time reported to a producer")
    # Hard: `archive` cannot be trimmed, so it fills what the trims free until appends are refused.
    wait_until(lambda: "hard" in watcher.states, 120, "the hard state")
    wait_until(lambda: http_json(broker, "/v1/status")["disk_quota"]["refused_produce_requests"] > 0, 30,
               "a refused produce request")
    status = http_json(broker, "/v1/status")["disk_quota"]
    assert status["state"] == "hard", status

    # Consumers still commit and fetch while appends are refused.
    ends = end_offsets(broker.bootstrap, TRIMMED, PARTITIONS)
    committer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "committer"})
    committer.commit(offsets=[TopicPartition(TRIMMED, p, ends[p]) for p in range(PARTITIONS)], asynchronous=False)
    assert [tp.offset for tp in committer.committed([TopicPartition(TRIMMED, p) for p in range(PARTITIONS)],
                                                     timeout=10)] == [ends[p] for p in range(PARTITIONS)]
    committer.close()
    assert http_json(broker, "/v1/status")["disk_quota"]["state"] == "hard"

    # The operator frees space: `archive`'s writer gives up, the topic is deleted, writes resume.
    archive.finish(purge=True)
    admin.delete_topics([KEPT])[KEPT].result(15)
    wait_until(lambda: watcher.states[-1] == "normal" and "hard" in watcher.states, 60, "back to normal")
    wait_until(lambda: any("disk quota back to normal after" in line for line in broker.log), 10,
               "the back-to-normal line")
    acked_at_normal = sum(len(w.acked) for w in events)
    wait_until(lambda: sum(len(w.acked) for w in events) > acked_at_normal + 100, 60,
               "producers resuming without a restart")
    for w in events:
        w.finish()
    watcher.stop.set()
    watcher.join(5)

    # The order of states, the filesystem never full, no failed partition, no non-retriable error.
    states = iter(watcher.states)
    assert all(s in states for s in ["normal", "soft", "hard", "normal"]), watcher.states
    assert watcher.min_free > 0, "the filesystem filled up"
    assert not [line for line in broker.log if "event=partition_failed" in line]
    assert metric_lines(broker, "spate_storage_failed_partitions ") == ["spate_storage_failed_partitions 0"]
    for w in [*events, archive]:
        assert w.broker_errors() == [], f"{w.name}: {w.broker_errors()[:3]}"

    # Every trimmed range is reported, contiguously from the old start to the new one, naming `laggard`.
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "probe"})
    starts = {p: consumer.get_watermark_offsets(TopicPartition(TRIMMED, p), timeout=10, cached=False)[0]
              for p in range(PARTITIONS)}
    consumer.close()
    trims = trim_lines(broker)
    assert not [t for t in trims if t[0] != TRIMMED], "only events may be trimmed"
    for p in range(PARTITIONS):
        ranges = sorted((int(a), int(b)) for topic, part, a, b, _ in trims if int(part) == p)
        covered = 0
        for first, last in ranges:
            assert first == covered, (p, ranges)
            covered = last + 1
        assert covered == starts[p], (p, ranges, starts)
    assert all("laggard:" in groups and "committer" not in groups for *_, groups in trims), trims
    status = http_json(broker, "/v1/status")["disk_quota"]
    assert [g["group"] for g in status["groups_with_trimmed_unread"]] == ["laggard"], status
    assert status["trimmed_segments"] >= len(trims) and status["throttled_produce_requests"] > 0
    assert metric_lines(broker, 'spate_disk_quota_trimmed_unread_records_total{group="laggard"}')

    # Every acknowledged record of `events` at or after its partition's start is there exactly once.
    ends = end_offsets(broker.bootstrap, TRIMMED, PARTITIONS)
    read = confluent_read_all(broker.bootstrap, TRIMMED, ends, timeout=120, **{"auto.offset.reset": "earliest"})
    seen = {}
    for p, messages in read.items():
        for m in messages:
            record_id = m.value()[:24].decode()
            assert record_id not in seen, f"{record_id} read twice"
            seen[record_id] = (p, m.offset())
    acked = {rid: at for w in events for rid, at in w.acked.items()}
    kept = {rid: at for rid, at in acked.items() if at[1] >= starts[at[0]]}
    assert kept and len(kept) < len(acked), "some records were trimmed and some kept"
    missing = [rid for rid, at in kept.items() if seen.get(rid) != at]
    assert not missing, f"{len(missing)} acknowledged records not read at their offsets, e.g. {missing[:3]}"
