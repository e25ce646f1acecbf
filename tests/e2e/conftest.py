"""Fixtures that run the real build/spate binary on a free loopback port."""
import os
import pathlib
import re
import socket
import subprocess
import threading

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SPATE = pathlib.Path(os.environ.get("SPATE_BIN", ROOT / "build" / "spate"))
READY_TIMEOUT_S = 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc, sig=None):
    """Stops a child with SIGTERM (or `sig`), SIGKILL after 15 s; returns its exit code."""
    if proc.poll() is None:
        if sig is None:
            proc.terminate()
        else:
            proc.send_signal(sig)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


class Broker:
    """A running spate process; its log lines are collected in `log`."""

    def __init__(self, data_dir, extra_args=()):
        self.port = free_port()
        self.host = "127.0.0.1"
        self.data_dir = data_dir
        self.log = []
        self.admin_url = None  # "http://HOST:PORT" (or https://) of the admin API, from the ready line
        self._ready = threading.Event()
        # The admin API on an ephemeral port, so brokers running in parallel never meet on 9644
        # (a test's own --set admin.listeners=... comes later and wins).
        self.proc = subprocess.Popen(
            [str(SPATE), "serve", "--listen", f"{self.host}:{self.port}", "--data-dir", str(data_dir),
             "--set", "admin.listeners=127.0.0.1:0", *extra_args],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._read_log, daemon=True).start()
        if not self._ready.wait(READY_TIMEOUT_S):
            self.stop()
            raise RuntimeError("spate did not become ready:\n" + "".join(self.log))

    def _read_log(self):
        for line in self.proc.stderr:
            self.log.append(line)
            if " ready " in line:
                admin = re.search(r" admin=(\S+:\d+)", line)
                if admin:
                    address = admin.group(1)
                    self.admin_url = address if "://" in address else f"http://{address}"
                self._ready.set()
        self._ready.set()  # process exited; the waiter checks the log

    @property
    def bootstrap(self):
        return f"{self.host}:{self.port}"

    def stop(self, sig=None):
        return stop_process(self.proc, sig)


@pytest.fixture
def start_broker(tmp_path):
    """Starts brokers with extra `spate serve` arguments; stops them all at the end of the test."""
    brokers = []

    def start(*extra_args, data_dir=None):
        broker = Broker(data_dir or tmp_path / f"data{len(brokers)}", extra_args)
        brokers.append(broker)
        return broker

    yield start
    for broker in brokers:
        broker.stop()
        assert not [line for line in broker.log if "AddressSanitizer" in line or "runtime error" in line], broker.log


@pytest.fixture
def broker(start_broker):
    return start_broker("--set", "topics=orders:3,events:1")


# ---- helpers for the data-path tests (produce/consume, admin, durability) ----

def wait_until(predicate, timeout, what="condition", interval=0.05):
    """Polls `predicate` until it returns a truthy value (returned) or `timeout` seconds pass (fails)."""
    import time
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - the condition may raise while not yet true
            last_error = e
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last error: {last_error!r}")
        time.sleep(interval)


def run_kcat(*args, input=None, timeout=60):
    """Runs kcat and returns its stdout (bytes); fails with kcat's stderr on a non-zero exit."""
    result = subprocess.run(["kcat", *args], input=input, capture_output=True, timeout=timeout)
    assert result.returncode == 0, f"kcat {' '.join(args)} exited {result.returncode}: {result.stderr.decode()}"
    return result.stdout


def end_offsets(bootstrap, topic, partitions, isolation="read_uncommitted"):
    """ListOffsets(latest) of partitions 0..partitions-1: the high watermark for read_uncommitted,
    the last stable offset for read_committed."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "spate-e2e-unused", "isolation.level": isolation})
    try:
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=20, cached=False)[1]
                for p in range(partitions)}
    finally:
        c.close()


def confluent_read_all(bootstrap, topic, ends, timeout=60, **config):
    """Reads partitions from offset 0 up to the given end offsets ({partition: end}) with a group-less
    confluent-kafka consumer (assign, no commits). Returns {partition: [Message, ...]} in arrival order;
    fails on any consumer error or when the ends are not reached before the deadline."""
    import time
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "spate-e2e-unused",
                         "enable.auto.commit": False, "auto.offset.reset": "error",
                         "enable.partition.eof": False, **config})
    try:
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in ends])
        got = {p: [] for p in ends}
        deadline = time.monotonic() + timeout
        def done():
            return all((got[p][-1].offset() + 1 if got[p] else 0) >= end for p, end in ends.items())
        while not done():
            assert time.monotonic() < deadline, \
                f"timed out reading {topic}: have { {p: len(m) for p, m in got.items()} }, want {ends}"
            for msg in consumer.consume(num_messages=10000, timeout=0.5):
                assert msg.error() is None, f"consumer error: {msg.error()}"
                assert msg.topic() == topic
                got[msg.partition()].append(msg)
        return got
    finally:
        consumer.close()
