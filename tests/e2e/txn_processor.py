"""A transactional consume-transform-produce loop for the exactly-once e2e tests (test_exactly_once.py).

Run as a script (ProcessorProcess does that with /usr/bin/python3), it consumes the input topic in
a consumer group (static membership, read_committed, no auto-commit), and for every polled batch
runs one transaction: produce the transformed records to the output topic (same partition as the
input record), send the consumer's positions with send_offsets_to_transaction, commit. The output
value is "<input partition>:<input offset>:<input value upper-cased>", so a reader can map every
output record back to exactly one input record.

It reports, as JSON lines on stdout:
  {"event": "ready"}                                        producer initialised, consumer subscribed
  {"event": "committed", "txn": n, "records": k, "offsets": [[p, next offset], ...]}
  {"event": "aborted", "txn": n, "error": "..."}            an abortable error; input rewound
  {"event": "hanging", "txn": n, "records": k}              --hang-at-txn: records written, not committed
  {"event": "fatal", "error": "..."}                        then exits with status 2

--hang-at-txn N makes the N-th transaction of this process stop after its records are written to
the log (flushed) and, with --hang-point after-offsets (the default), after its offsets were sent
(pending in the group), or with before-offsets before that; it waits there until the test SIGKILLs
it, so the output holds records of a transaction that only the next incarnation (same
transactional.id, via InitProducerId) can abort. Killed before its offsets were sent, a processor
that is not transactional would leave output whose input is processed again: duplicates."""
import json
import os
import signal
import subprocess
import sys
import threading
import time

SCRIPT = os.path.abspath(__file__)
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def _emit(event, **fields):
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


def transform(partition, offset, value):
    return f"{partition}:{offset}:{value.decode().upper()}".encode()


def _processor_main(argv):
    import argparse

    from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--transactional-id", required=True)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--hang-at-txn", type=int, default=0)
    ap.add_argument("--hang-point", choices=("before-offsets", "after-offsets"), default="after-offsets")
    ap.add_argument("--max-runtime-s", type=float, default=150)
    args = ap.parse_args(argv)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    producer = Producer({"bootstrap.servers": args.bootstrap, "transactional.id": args.transactional_id,
                         "transaction.timeout.ms": 60000, "linger.ms": 5, "socket.timeout.ms": 15000})
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": args.group,
                         "group.instance.id": f"{args.group}-member", "isolation.level": "read_committed",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest",
                         "enable.partition.eof": False, "session.timeout.ms": 6000,
                         "heartbeat.interval.ms": 500, "fetch.wait.max.ms": 100})

    def fatal(error):
        _emit("fatal", error=str(error))
        sys.stdout.flush()
        os._exit(2)

    try:
        producer.init_transactions(30)
    except KafkaException as e:
        fatal(f"init_transactions: {e}")
    consumer.subscribe([args.input])
    _emit("ready")

    deadline = time.monotonic() + args.max_runtime_s
    txn = 0
    while not stop.is_set() and time.monotonic() < deadline:
        msgs = consumer.consume(num_messages=args.batch, timeout=0.2)
        records = []
        for m in msgs:
            if m.error() is not None:
                if m.error().code() != KafkaError._PARTITION_EOF:
                    _emit("consumer_error", error=str(m.error()))
                continue
            records.append(m)
        if not records:
            continue
        txn += 1
        # Where this batch started, per partition: an aborted transaction rewinds the input here.
        rewind = {}
        for m in records:
            rewind.setdefault(m.partition(), m.offset())
        try:
            producer.begin_transaction()
            for m in records:
                while True:
                    try:
                        producer.produce(args.output, key=m.key(), partition=m.partition(),
                                         value=transform(m.partition(), m.offset(), m.value()))
                        break
                    except BufferError:
                        producer.poll(0.05)
            if txn == args.hang_at_txn and args.hang_point == "before-offsets":
                _hang(producer, txn, len(records))
            positions = [tp for tp in consumer.position(consumer.assignment()) if tp.offset >= 0]
            producer.send_offsets_to_transaction(positions, consumer.consumer_group_metadata(), 30)
            if txn == args.hang_at_txn and args.hang_point == "after-offsets":
                _hang(producer, txn, len(records))
            _commit(producer)
        except KafkaException as e:
            err = e.args[0]
            if err.fatal() or not err.txn_requires_abort():
                fatal(f"transaction {txn}: {err}")
            try:
                producer.abort_transaction(30)
            except KafkaException as abort_error:
                fatal(f"abort of transaction {txn}: {abort_error}")
            for p, offset in rewind.items():
                consumer.seek(TopicPartition(args.input, p, offset))
            _emit("aborted", txn=txn, error=str(err))
            continue
        _emit("committed", txn=txn, records=len(records),
              offsets=sorted([tp.partition, tp.offset] for tp in positions))

    consumer.close()
    _emit("closed")


def _hang(producer, txn, records):
    """Stops inside the open transaction, its records in the log, until SIGKILL."""
    if producer.flush(30) != 0:
        _emit("fatal", error="records of the hanging transaction were not delivered")
        os._exit(2)
    _emit("hanging", txn=txn, records=records)
    threading.Event().wait()


def _commit(producer):
    """commit_transaction, retried while the error says a retry may succeed."""
    from confluent_kafka import KafkaException
    for _ in range(10):
        try:
            producer.commit_transaction(30)
            return
        except KafkaException as e:
            if not e.args[0].retriable():
                raise
    producer.commit_transaction(30)


# ---------------------------------------------------------------------------------------------
# The test-side handle
# ---------------------------------------------------------------------------------------------

class ProcessorProcess:
    """A running txn_processor.py; its stdout events are collected in `events` in order."""

    def __init__(self, bootstrap, input_topic, output_topic, group, transactional_id, batch=100, hang_at_txn=0,
                 hang_point="after-offsets"):
        args = [PYTHON, SCRIPT, "--bootstrap", bootstrap, "--input", input_topic, "--output", output_topic,
                "--group", group, "--transactional-id", transactional_id, "--batch", str(batch),
                "--hang-at-txn", str(hang_at_txn), "--hang-point", hang_point]
        self.events = []
        self.stderr = []
        self._lock = threading.Lock()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     cwd=os.path.dirname(SCRIPT))
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self):
        for line in self.proc.stdout:
            line = line.strip()
            if line:
                try:
                    event = json.loads(line)
                except ValueError:
                    event = {"event": "garbage", "line": line}
                with self._lock:
                    self.events.append(event)

    def _read_stderr(self):
        for line in self.proc.stderr:
            self.stderr.append(line)

    def of(self, kind):
        with self._lock:
            return [e for e in self.events if e["event"] == kind]

    def check_alive(self):
        """Fails (with the processor's output) when it exited or reported a fatal error."""
        fatal = self.of("fatal")
        assert not fatal and self.proc.poll() is None, \
            f"processor exited ({self.proc.poll()}): {fatal or self.events[-5:]}\n{''.join(self.stderr[-30:])}"
        return True

    def wait_for(self, predicate, timeout, what):
        """Waits until predicate() holds; fails at once (with the processor's output) if it dies first."""
        from conftest import wait_until
        try:
            wait_until(lambda: self.of("fatal") or self.proc.poll() is not None or predicate(), timeout, what)
        except AssertionError as e:
            raise AssertionError(f"{e}\n{self.describe()}") from None
        self.check_alive()

    def describe(self):
        with self._lock:
            return f"events {self.events[-5:]}\nstderr:\n{''.join(self.stderr[-30:])}"

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=15)

    def stop(self):
        """SIGTERM: the loop finishes its transaction and closes the consumer."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode


if __name__ == "__main__":
    _processor_main(sys.argv[1:])
