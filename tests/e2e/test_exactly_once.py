"""Exactly-once delivery end to end with confluent-kafka (librdkafka) against the real binary.

* An idempotent producer (enable.idempotence, acks=all) writes 100,000 sequence-numbered records
  through fault_proxy.FaultProxy, which swallows ~5% of the Produce responses (the records are
  appended, the producer times out and retries them) and resets connections every few seconds;
  once with the broker running throughout and once with the broker SIGKILLed and restarted on the
  same data directory after ~40% were delivered. Every sequence number is then in the log exactly
  once, in order per key, with no gaps, and every delivery report is a success at the offset where
  the record really is.
* A transactional consume-transform-produce process (txn_processor.py) is SIGKILLed three times,
  twice inside a transaction whose records are already in the output log (once after its offsets
  were sent, once before), once at an arbitrary moment, and restarted with the same
  transactional.id each time: a read_committed reader sees every input record transformed exactly once, and
  the group's committed offsets equal the input's end offsets.
* read_committed vs read_uncommitted around a committed, an aborted and an open transaction: the
  committed reader stops at the last stable offset until the open transaction commits.

The seed of the proxy's faults is printed; set SPATE_EOS_SEED to replay a run's fault decisions."""
import collections
import os
import signal
import threading
import time

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition

from conftest import confluent_read_all, end_offsets, wait_until
from fault_proxy import FaultProxy
from txn_processor import ProcessorProcess, transform

RECORDS = 100_000
PARTITIONS = 3
KEYS = 60
TOPIC = "eos"


def fault_seed():
    seed = int(os.environ.get("SPATE_EOS_SEED", int.from_bytes(os.urandom(4), "big")))
    print(f"fault proxy seed {seed} (replay with SPATE_EOS_SEED={seed})")
    return seed


@pytest.fixture
def spate(start_broker):
    """conftest's start_broker that also prints the tail of every broker's log at teardown (pytest
    shows it for failed tests only)."""
    started = []

    def start(*args, **kwargs):
        b = start_broker(*args, **kwargs)
        started.append(b)
        return b

    yield start
    for b in started:
        print(f"--- spate on port {b.port}, exit {b.proc.poll()}, last 60 log lines ---")
        print("".join(b.log[-60:]))


@pytest.fixture
def proxy():
    p = FaultProxy(seed=fault_seed())
    yield p
    p.close()


def start_behind(start_broker, proxy, data_dir, *args):
    """A broker that advertises the proxy's address, so clients only ever talk to it through the proxy."""
    b = start_broker("--advertised-listener", proxy.address, "--set", "auto.create.topics.enable=false", *args,
                     data_dir=data_dir)
    proxy.set_upstream(b.host, b.port)
    return b


# ---------------------------------------------------------------------------------------------
# Idempotent producer through the fault proxy
# ---------------------------------------------------------------------------------------------

def key_of(seq):
    return f"k{seq % KEYS:03d}".encode()


def value_of(seq):
    return f"{seq:08d}".encode()


class IdempotentRun:
    """Produces RECORDS sequence-numbered, keyed records with an idempotent producer and collects
    the delivery reports and client errors."""

    def __init__(self, bootstrap):
        self.delivered = []  # (partition, offset, seq)
        self.failed = []     # (seq, error)
        self.errors = []     # error_cb
        self.producer = Producer({
            "bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
            # Retries must outlast the faults (and the broker restart); a lost response must be noticed fast.
            "message.timeout.ms": 300000, "request.timeout.ms": 2000, "socket.timeout.ms": 10000,
            "retry.backoff.ms": 100, "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 500,
            # Small batches: a few hundred Produce requests, so ~5% of them is a real number of drops.
            "linger.ms": 10, "batch.num.messages": 500, "queue.buffering.max.messages": RECORDS,
            "error_cb": self.errors.append,
        })

    def _on_delivery(self, err, msg):
        seq = int(msg.value())
        if err is None:
            self.delivered.append((msg.partition(), msg.offset(), seq))
        else:
            self.failed.append((seq, err))

    def run(self, timeout):
        deadline = time.monotonic() + timeout
        for seq in range(RECORDS):
            while True:
                try:
                    self.producer.produce(TOPIC, key=key_of(seq), value=value_of(seq), on_delivery=self._on_delivery)
                    break
                except BufferError:
                    assert time.monotonic() < deadline, f"producer queue stuck after {len(self.delivered)} deliveries"
                    self.producer.poll(0.05)
                except KafkaException as e:
                    # A fatal error refuses new records; check() reports it with the errors seen.
                    self.errors.append(e.args[0])
                    return RECORDS - len(self.delivered)
            self.producer.poll(0)
        while len(self.producer) and time.monotonic() < deadline:
            self.producer.flush(1)
        left = len(self.producer)
        return left

    def check(self, left):
        fatal = [e for e in self.errors if e.fatal()]
        assert not fatal, f"the idempotent producer hit a fatal error: {fatal}; all errors: {self.errors[-5:]}"
        assert left == 0, f"{left} records still undelivered; errors {self.errors[-5:]}"
        assert not self.failed, f"{len(self.failed)} delivery failures, e.g. {self.failed[:5]}"
        assert len(self.delivered) == RECORDS


def check_exactly_once(bootstrap, run):
    ends = end_offsets(bootstrap, TOPIC, PARTITIONS)
    got = confluent_read_all(bootstrap, TOPIC, ends, timeout=90)
    log = {}  # (partition, offset) -> seq
    by_key = collections.defaultdict(list)
    partition_of_key = {}
    for p, msgs in got.items():
        offsets = [m.offset() for m in msgs]
        assert offsets == list(range(ends[p])), f"partition {p}: offsets not dense from 0 to {ends[p]}"
        for m in msgs:
            seq = int(m.value())
            assert m.key() == key_of(seq), f"record {seq} has key {m.key()!r}"
            assert partition_of_key.setdefault(m.key(), p) == p, f"key {m.key()!r} in two partitions"
            log[(p, m.offset())] = seq
            by_key[m.key()].append(seq)
    counts = collections.Counter(log.values())
    duplicated = sorted(s for s, n in counts.items() if n > 1)
    missing = sorted(set(range(RECORDS)) - set(counts))
    assert not duplicated, f"{len(duplicated)} sequence numbers stored more than once, e.g. {duplicated[:10]}"
    assert not missing, f"{len(missing)} sequence numbers missing, e.g. {missing[:10]}"
    assert len(log) == RECORDS
    for key, seqs in by_key.items():
        out_of_order = [(a, b) for a, b in zip(seqs, seqs[1:]) if a >= b]
        assert not out_of_order, f"key {key!r}: order broken at {out_of_order[:5]}"
    # Each delivery report names the offset where that record really is (-1: the broker did not say,
    # which Kafka allows for a retried batch it recognised as a duplicate).
    wrong = [(p, o, s) for p, o, s in run.delivered if o >= 0 and log.get((p, o)) != s]
    assert not wrong, f"{len(wrong)} delivery reports name the wrong offset, e.g. {wrong[:5]}"
    unknown = sum(1 for _, o, _ in run.delivered if o < 0)
    print(f"delivery reports without an offset: {unknown}")


def test_idempotent_producer_through_dropped_responses_and_resets(spate, proxy, tmp_path):
    broker = start_behind(spate, proxy, tmp_path / "data", "--set", f"topics={TOPIC}:{PARTITIONS}")
    proxy.set_faults(drop_produce_fraction=0.05, reset_interval_s=(0.3, 1.2))
    run = IdempotentRun(proxy.address)
    left = run.run(timeout=100)
    faults = proxy.snapshot()
    print(f"proxy: {faults}")
    proxy.set_faults(0, None)  # the check reads through the proxy (the advertised address), fault-free
    run.check(left)
    assert faults["dropped_responses"] > 0, f"no Produce response was dropped: {faults}"
    assert faults["resets"] > 0, f"no connection was reset: {faults}"
    check_exactly_once(proxy.address, run)
    assert broker.proc.poll() is None


def test_idempotent_producer_across_broker_sigkill(spate, proxy, tmp_path):
    data = tmp_path / "data"
    brokers = [start_behind(spate, proxy, data, "--set", f"topics={TOPIC}:{PARTITIONS}")]
    proxy.set_faults(drop_produce_fraction=0.05, reset_interval_s=(0.3, 1.2))
    run = IdempotentRun(proxy.address)
    crash = {}

    def kill_and_restart():
        try:
            wait_until(lambda: len(run.delivered) >= RECORDS * 4 // 10, 90, "40% of the records delivered")
            brokers[0].proc.send_signal(signal.SIGKILL)
            brokers[0].proc.wait(timeout=15)
            crash["delivered_at_kill"] = len(run.delivered)
            brokers.append(start_behind(spate, proxy, data))
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            crash["error"] = e

    killer = threading.Thread(target=kill_and_restart, daemon=True)
    killer.start()
    left = run.run(timeout=110)
    killer.join(timeout=30)
    faults = proxy.snapshot()
    print(f"proxy: {faults}; crash: {crash}")
    proxy.set_faults(0, None)
    run.check(left)
    assert "error" not in crash, f"kill/restart failed: {crash['error']}"
    assert len(brokers) == 2 and brokers[0].proc.returncode == -signal.SIGKILL
    assert crash["delivered_at_kill"] < RECORDS, "the broker was killed only after everything was delivered"
    assert faults["dropped_responses"] > 0 and faults["resets"] > 0, f"faults did not happen: {faults}"
    assert faults["upstream_connect_failures"] > 0 or faults["connections"] > 2, faults
    check_exactly_once(proxy.address, run)
    assert brokers[1].proc.poll() is None


# ---------------------------------------------------------------------------------------------
# Transactions
# ---------------------------------------------------------------------------------------------

def read_to_eof(bootstrap, topic, want_ends, isolation, timeout=60):
    """Reads partitions from the beginning until each reports end-of-partition at (or past) the wanted
    offset. Returns ({partition: [Message]}, {partition: last EOF offset})."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "spate-e2e-unused",
                         "enable.auto.commit": False, "enable.partition.eof": True, "isolation.level": isolation})
    got = {p: [] for p in want_ends}
    eof = {}
    try:
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in want_ends])
        deadline = time.monotonic() + timeout
        while not all(eof.get(p, -1) >= end for p, end in want_ends.items()):
            assert time.monotonic() < deadline, \
                f"{topic}: end of partition reached at {eof}, want {want_ends}; have { {p: len(m) for p, m in got.items()} }"
            for m in consumer.consume(num_messages=10000, timeout=0.5):
                if m.error() is not None:
                    assert m.error().code() == KafkaError._PARTITION_EOF, f"consumer error: {m.error()}"
                    eof[m.partition()] = m.offset()
                    continue
                got[m.partition()].append(m)
        return got, eof
    finally:
        consumer.close()


def test_transactional_processor_survives_sigkill(spate):
    broker = spate("--set", "topics=eos-in:3,eos-out:3", "--set", "auto.create.topics.enable=false",
                          "--set", "group.initial.rebalance.delay.ms=0")
    n = 6000
    producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "linger.ms": 5})
    inputs = {}
    for i in range(n):
        p = i % PARTITIONS
        producer.produce("eos-in", key=f"k{i}".encode(), value=f"rec-{i:06d}".encode(), partition=p)
    assert producer.flush(30) == 0
    input_ends = end_offsets(broker.bootstrap, "eos-in", PARTITIONS)
    assert sum(input_ends.values()) == n
    for p, msgs in confluent_read_all(broker.bootstrap, "eos-in", input_ends).items():
        for m in msgs:
            inputs[(p, m.offset())] = m.value()

    incarnations = []

    def processor(hang_at_txn=0, hang_point="after-offsets"):
        incarnations.append(ProcessorProcess(broker.bootstrap, "eos-in", "eos-out", "eos-group", "eos-processor",
                                             batch=100, hang_at_txn=hang_at_txn, hang_point=hang_point))
        return incarnations[-1]

    def run_until_hanging(proc, txn):
        try:
            proc.wait_for(lambda: proc.of("hanging"), 60, f"processor {proc.proc.pid} to hang in txn {txn}")
            assert len(proc.of("committed")) == txn - 1, proc.describe()
            return proc.of("hanging")[0]["records"]
        finally:
            proc.kill()

    # 1: three transactions commit; the fourth writes its records and sends its offsets, and the
    # process is killed before committing. The next incarnation (same transactional.id) fences it
    # and aborts that transaction: its records stay invisible, its offsets never apply.
    hung_records = run_until_hanging(processor(hang_at_txn=4, hang_point="after-offsets"), 4)
    # 2: killed in its third transaction after writing records, before sending offsets.
    hung_records += run_until_hanging(processor(hang_at_txn=3, hang_point="before-offsets"), 3)
    # 3: killed at an arbitrary moment after a few commits.
    killed = processor()
    try:
        killed.wait_for(lambda: len(killed.of("committed")) >= 5, 60, "the processor to commit 5 transactions")
    finally:
        killed.kill()
    # 4: the last one finishes the input.
    last = processor()
    try:
        def caught_up():
            # A processor reports positions only for partitions it consumed from, so a partition an
            # earlier incarnation finished never shows up in the last one's events: merge them all,
            # in order (only committed transactions are reported, so offsets only move forward).
            reached = {}
            for event in (e for proc in incarnations for e in proc.of("committed")):
                reached.update({p: offset for p, offset in event["offsets"]})
            return reached == input_ends
        last.wait_for(caught_up, 90, "the last processor to commit offsets at the input's end")
    finally:
        last_status = last.stop()
    assert last_status == 0, last.describe()

    # The broker's view of the group: committed offsets at the input's end.
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "eos-group"})
    try:
        committed = c.committed([TopicPartition("eos-in", p) for p in range(PARTITIONS)], timeout=20)
    finally:
        c.close()
    assert {tp.partition: tp.offset for tp in committed} == input_ends

    output_ends = end_offsets(broker.bootstrap, "eos-out", PARTITIONS)
    committed_view, eof = read_to_eof(broker.bootstrap, "eos-out", output_ends, isolation="read_committed")
    seen = collections.Counter()
    for p, msgs in committed_view.items():
        last_input_offset = -1
        for m in msgs:
            in_p, in_offset, value = m.value().split(b":", 2)
            in_p, in_offset = int(in_p), int(in_offset)
            assert in_p == p, f"output partition {p} holds a record of input partition {in_p}"
            assert (in_p, in_offset) in inputs, f"output {m.value()!r} names no input record"
            assert m.value() == transform(in_p, in_offset, inputs[(in_p, in_offset)])
            assert in_offset > last_input_offset, f"partition {p}: output out of input order at {m.value()!r}"
            last_input_offset = in_offset
            seen[(in_p, in_offset)] += 1
    duplicated = [k for k, v in seen.items() if v > 1]
    missing = sorted(set(inputs) - set(seen))
    assert not duplicated, f"{len(duplicated)} input records transformed more than once, e.g. {duplicated[:5]}"
    assert not missing, f"{len(missing)} input records never committed to the output, e.g. {missing[:5]}"
    # The aborted work is really in the log (the fault happened), visible only to read_uncommitted.
    uncommitted_view, _ = read_to_eof(broker.bootstrap, "eos-out", output_ends, isolation="read_uncommitted")
    uncommitted = sum(len(m) for m in uncommitted_view.values())
    print(f"output: {n} committed records, {uncommitted} records in the log, end offsets {output_ends}")
    assert uncommitted >= n + hung_records, f"read_uncommitted sees {uncommitted}, want >= {n + hung_records}"


def test_read_committed_stops_at_the_open_transaction(spate):
    broker = spate("--set", "topics=txn:1", "--set", "auto.create.topics.enable=false")
    reports = []

    def on_delivery(err, msg):
        assert err is None, err
        reports.append((msg.offset(), msg.value()))

    txn = Producer({"bootstrap.servers": broker.bootstrap, "transactional.id": "txn-lso", "linger.ms": 0,
                    "on_delivery": on_delivery})
    txn.init_transactions(30)

    def transaction(values):
        txn.begin_transaction()
        for v in values:
            txn.produce("txn", value=v, partition=0)
        assert txn.flush(30) == 0

    committed_a = [f"a{i}".encode() for i in range(5)]
    aborted_b = [f"b{i}".encode() for i in range(4)]
    open_c = [f"c{i}".encode() for i in range(3)]
    plain_d = [f"d{i}".encode() for i in range(2)]
    transaction(committed_a)
    txn.commit_transaction(30)
    transaction(aborted_b)
    txn.abort_transaction(30)
    transaction(open_c)
    lso = next(o for o, v in reports if v == open_c[0])
    plain = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all"})
    for v in plain_d:
        plain.produce("txn", value=v, partition=0)
    assert plain.flush(30) == 0

    # Every record and one control marker per ended transaction take an offset.
    high_watermark = end_offsets(broker.bootstrap, "txn", 1, isolation="read_uncommitted")[0]
    assert high_watermark == len(committed_a) + len(aborted_b) + len(open_c) + len(plain_d) + 2
    assert end_offsets(broker.bootstrap, "txn", 1, isolation="read_committed")[0] == lso, \
        "ListOffsets(latest, read_committed) is not the last stable offset"

    everything, _ = read_to_eof(broker.bootstrap, "txn", {0: high_watermark}, isolation="read_uncommitted")
    assert [m.value() for m in everything[0]] == committed_a + aborted_b + open_c + plain_d

    reader = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "spate-e2e-unused",
                       "isolation.level": "read_committed", "enable.partition.eof": True,
                       "enable.auto.commit": False, "fetch.wait.max.ms": 100})
    try:
        reader.assign([TopicPartition("txn", 0, OFFSET_BEGINNING)])
        got, eof = [], []

        def poll():
            for m in reader.consume(num_messages=100, timeout=0.2):
                if m.error() is not None:
                    assert m.error().code() == KafkaError._PARTITION_EOF, m.error()
                    eof.append(m.offset())
                else:
                    got.append(m.value())
        wait_until(lambda: poll() or eof, 30, "read_committed to reach its end of partition")
        assert eof[-1] == lso, f"read_committed stopped at {eof[-1]}, the last stable offset is {lso}"
        assert got == committed_a, "read_committed must see only the committed transaction before the open one"

        txn.commit_transaction(30)
        wait_until(lambda: poll() or len(got) >= len(committed_a) + len(open_c) + len(plain_d), 30,
                   "read_committed to move past the committed transaction")
        assert got == committed_a + open_c + plain_d
        wait_until(lambda: poll() or eof[-1] == high_watermark + 1, 30, "read_committed to reach the new end")
    finally:
        reader.close()
    # The committed reader never saw the aborted records; the uncommitted reader still sees everything.
    everything, _ = read_to_eof(broker.bootstrap, "txn", {0: high_watermark + 1}, isolation="read_uncommitted")
    assert [m.value() for m in everything[0]] == committed_a + aborted_b + open_c + plain_d
