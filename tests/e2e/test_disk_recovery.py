"""A partition that fails on a full disk answers KAFKA_STORAGE_ERROR at once, and comes back without a
restart once space is freed: the same idempotent producer resumes on it, and every acknowledged record
is readable exactly once.

The data directory lives on a small tmpfs of its own (mounted here; the test needs root), next to a
filler file that leaves little room: deleting the filler is "the operator frees space". The disk quota,
which would refuse appends before the filesystem fills, is off here."""
import os
import subprocess
import time
import urllib.request

import pytest
from confluent_kafka import Producer

import data_wire
from conftest import confluent_read_all, wait_until

TOPIC = "disk"
VALUE_SIZE = 8 * 1024
ROOM_LEFT = 3 * 1024 * 1024  # what the filler leaves free: a few hundred records
STORAGE_ERROR = 56  # KAFKA_STORAGE_ERROR


@pytest.fixture
def tmpfs(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs for a filesystem that fills up (needs root): {r.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(mnt, leave):
    """Writes mnt/filler so that about `leave` bytes stay free; returns its path."""
    st = os.statvfs(mnt)
    size = max(0, st.f_bavail * st.f_frsize - leave)
    path = mnt / "filler"
    with open(path, "wb") as f:
        chunk = b"\0" * (1 << 20)
        while size > 0:
            f.write(chunk[:min(size, len(chunk))])
            size -= min(size, len(chunk))
    return path


def value(i):
    return f"{i:08d}".encode() + b"x" * (VALUE_SIZE - 8)


def metric(broker, name):
    text = urllib.request.urlopen(broker.admin_url + "/metrics", timeout=5).read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def test_a_full_disk_fails_the_partition_fast_and_it_recovers_without_a_restart(tmpfs, start_broker):
    # Without the disk quota, which would refuse appends before the filesystem fills (test_disk_quota.py):
    # this is the path a disk filled faster than the quota measures still takes.
    broker = start_broker("--set", f"topics={TOPIC}:1", "--set", "disk.quota.enable=false", data_dir=tmpfs / "data")
    filler = fill(tmpfs, ROOM_LEFT)

    acked = {}  # record index -> offset
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(err)
        else:
            assert msg.partition() == 0
            acked[int(msg.value()[:8])] = msg.offset()

    producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "enable.idempotence": True,
                         "linger.ms": 5, "batch.size": 65536})
    failed = lambda: any("event=partition_failed" in line for line in broker.log)  # noqa: E731
    # Produce until the disk is full and the partition fails; what is queued then waits in the producer.
    produced = 0
    deadline = time.monotonic() + 20
    while not failed():
        assert time.monotonic() < deadline, "the partition never failed although the disk filled"
        for _ in range(50):
            producer.produce(TOPIC, value(produced), partition=0, on_delivery=on_delivery)
            produced += 1
        producer.poll(0.05)
    for _ in range(20):  # a few more that must wait for the recovery
        producer.produce(TOPIC, value(produced), partition=0, on_delivery=on_delivery)
        produced += 1
    assert len(acked) < produced

    # The partition answers at once, with the retriable storage error, not after a time-out: one
    # produce larger than any room left, on a raw connection (no client retries in between).
    with data_wire.Conn(broker) as conn:
        start = time.monotonic()
        answer = data_wire.produce(conn, 9, TOPIC, 0, data_wire.build_batch([b"y" * (600 * 1024)]))[(TOPIC, 0)]
        elapsed = time.monotonic() - start
    assert answer["error_code"] == STORAGE_ERROR, answer
    assert elapsed < 1.0, f"the storage error took {elapsed:.2f}s"

    # Space is freed; the broker is not restarted; the same producer delivers everything it queued.
    os.remove(filler)
    assert producer.flush(45) == 0, f"{len(producer)} records still undelivered after freeing space"
    for _ in range(100):
        producer.produce(TOPIC, value(produced), partition=0, on_delivery=on_delivery)
        produced += 1
    assert producer.flush(20) == 0
    assert errors == [], errors
    assert broker.proc.poll() is None
    assert len(acked) == produced
    assert any("event=partition_recovered" in line for line in broker.log)
    wait_until(lambda: metric(broker, "spate_storage_failed_partitions") == 0, 5, "no failed partition")
    assert metric(broker, "spate_storage_partition_recoveries_total") >= 1

    # Every acknowledged record exactly once, at the offset its acknowledgement named; nothing else.
    end = max(acked.values()) + 1
    got = confluent_read_all(broker.bootstrap, TOPIC, {0: end})[0]
    seen = [(int(m.value()[:8]), m.offset()) for m in got if m.offset() < end]
    assert len(seen) == end, "offsets are dense and hold only acknowledged records"
    assert sorted(i for i, _ in seen) == list(range(produced)), "each record once"
    assert all(acked[i] == offset for i, offset in seen)


def test_the_open_files_limit_is_raised_and_running_out_says_so(start_broker, tmp_path, monkeypatch):
    import conftest
    from confluent_kafka.admin import AdminClient, NewTopic
    # The broker starts with a soft limit of 128 under a hard one of 300 (the internal topics' 100
    # partitions hold about 100 descriptors, one .log each) and raises the soft limit to the hard one.
    wrapper = tmp_path / "spate-limited"
    wrapper.write_text(f'#!/bin/sh\nulimit -Sn 128 && ulimit -Hn 300 && exec "{conftest.SPATE}" "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setattr(conftest, "SPATE", wrapper)
    broker = start_broker()
    assert any("event=open_files_limit soft=300 hard=300 raised_from=128" in line for line in broker.log), \
        [line for line in broker.log if "open_files" in line]

    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    with pytest.raises(Exception) as refused:
        admin.create_topics([NewTopic("many", 250, 1)])["many"].result(15)
    error = refused.value.args[0]
    assert error.code() == STORAGE_ERROR
    assert "too many open files: 250 partitions need at least 250 descriptors; raise the limit (ulimit -n)" in error.str(), \
        [line for line in broker.log if " error " in line or " warn" in line]
    assert any("event=topic_create_failed topic=many" in line and "ulimit -n" in line for line in broker.log)
    # Nothing of it is left behind, and a topic that fits is created.
    admin.create_topics([NewTopic("few", 3, 1)])["few"].result(15)
    assert not (broker.data_dir / "many-0").exists()
