"""Crash durability: an acks=all producer writes sequence-numbered records while the broker is killed
with SIGKILL at random moments, round after round on the same data directory. After the last
restart every acknowledged record is readable at the offset it was acknowledged with, each
partition's log is dense (offsets 0..end-1, no gaps, no duplicates), and what was readable after one
restart is still there, unchanged, after the next."""
import os
import random
import signal
import threading
import time

from confluent_kafka import Producer

from conftest import confluent_read_all, end_offsets, wait_until

ROUNDS = 6
PARTITIONS = 2
TOPIC = "crash"


def high_watermarks(bootstrap):
    return end_offsets(bootstrap, TOPIC, PARTITIONS)


def read_log(bootstrap):
    """{partition: [(offset, value)]} of everything in the topic, checked dense from 0."""
    ends = high_watermarks(bootstrap)
    got = confluent_read_all(bootstrap, TOPIC, ends, timeout=60)
    log = {}
    for p, msgs in got.items():
        entries = [(m.offset(), m.value()) for m in msgs]
        assert [o for o, _ in entries] == list(range(ends[p])), f"partition {p}: offsets not dense from 0"
        log[p] = entries
    return log


def produce_until_killed(broker, round_no, rng, acked):
    """Produces until the broker is SIGKILLed at a random moment after some records were acknowledged.
    Appends (partition, offset, value) of every acknowledged record to `acked`."""
    producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "linger.ms": rng.choice([0, 2, 10]),
                         "retries": 0, "message.timeout.ms": 10000, "socket.timeout.ms": 5000,
                         "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 200})
    round_acked = []
    failures = []

    def on_delivery(err, msg):
        if err is None:
            round_acked.append((msg.partition(), msg.offset(), msg.value()))
        else:
            failures.append(err)

    killed = threading.Event()
    min_acks = rng.randint(50, 3000)
    extra_delay = rng.uniform(0, 0.4)

    def killer():
        wait_until(lambda: len(round_acked) >= min_acks, 60, f"{min_acks} acks in round {round_no}")
        time.sleep(extra_delay)  # the fault's timing, not synchronisation
        broker.proc.send_signal(signal.SIGKILL)
        broker.proc.wait(timeout=15)
        killed.set()

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    i = 0
    deadline = time.monotonic() + 90
    while not killed.is_set():
        assert time.monotonic() < deadline, "the kill never happened"
        value = f"r{round_no}-{i:07d}".encode()
        try:
            producer.produce(TOPIC, value=value, partition=i % PARTITIONS, on_delivery=on_delivery)
            i += 1
        except BufferError:
            producer.poll(0.01)
        producer.poll(0)
    t.join(timeout=5)
    # The broker is gone: whatever is still queued or in flight is not acknowledged.
    producer.purge(in_queue=True, in_flight=True)
    producer.flush(15)
    acked.extend(round_acked)
    return len(round_acked), len(failures)


def test_acknowledged_records_survive_sigkill(start_broker, tmp_path):
    seed = int.from_bytes(os.urandom(4), "big")
    print(f"crash test seed {seed}")
    rng = random.Random(seed)
    data = tmp_path / "crashdata"
    acked = []
    previous_log = {p: [] for p in range(PARTITIONS)}
    for round_no in range(ROUNDS):
        args = ["--set", "auto.create.topics.enable=false"]
        if round_no == 0:
            args += ["--set", f"topics={TOPIC}:{PARTITIONS}"]
        broker = start_broker(*args, data_dir=data)
        if round_no:
            # Everything that was readable before the crash is still there, unchanged; the log is dense.
            log = read_log(broker.bootstrap)
            for p in range(PARTITIONS):
                assert log[p][:len(previous_log[p])] == previous_log[p], \
                    f"seed {seed} round {round_no}: partition {p} lost or changed records readable before"
            check_acked(log, acked, seed, round_no)
            previous_log = log
        n_acked, n_failed = produce_until_killed(broker, round_no, rng, acked)
        assert n_acked > 0
        assert broker.proc.returncode == -signal.SIGKILL

    final = start_broker("--set", "auto.create.topics.enable=false", data_dir=data)
    log = read_log(final.bootstrap)
    check_acked(log, acked, seed, "final")
    for p in range(PARTITIONS):
        assert log[p][:len(previous_log[p])] == previous_log[p]
    # Every record in the log is one the producer sent (no garbage), and none twice.
    values = [v for p in log for _, v in log[p]]
    assert len(values) == len(set(values)), "a record is stored twice"
    assert all(v.startswith(b"r") for v in values)
    # The broker still accepts writes after all that, continuing the dense log.
    p = Producer({"bootstrap.servers": final.bootstrap, "acks": "all"})
    reports = []
    p.produce(TOPIC, value=b"after", partition=0, on_delivery=lambda e, m: reports.append((e, m.offset())))
    assert p.flush(30) == 0 and reports == [(None, len(log[0]))]


def check_acked(log, acked, seed, round_no):
    by_offset = {p: dict(entries) for p, entries in log.items()}
    lost = [(p, o, v) for p, o, v in acked if by_offset[p].get(o) != v]
    assert not lost, (f"seed {seed} round {round_no}: {len(lost)} of {len(acked)} acknowledged records lost "
                      f"or moved, e.g. {lost[:5]} (stored there: "
                      f"{[by_offset[p].get(o) for p, o, _ in lost[:5]]})")
