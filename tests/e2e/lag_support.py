"""Helpers for the lag-monitor tests: the broker settings they run with, reading /v1/lag, a
steady background producer and the lag_consumer.py process."""
import json
import pathlib
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from conftest import wait_until

HERE = pathlib.Path(__file__).resolve().parent
TICK_S = 0.3
# A fast monitor for tests: 300 ms ticks, a 5-tick window, 2-tick hysteresis; groups that form at
# once and sessions short enough that a killed consumer leaves its group within ~2 s.
LAG_SETTINGS = ("--set", f"lag.sample.interval.ms={int(TICK_S * 1000)}", "--set", "lag.window.ticks=5",
                "--set", "lag.hysteresis.ticks=2", "--set", "group.initial.rebalance.delay.ms=0",
                "--set", "group.min.session.timeout.ms=1000")


def get_json(broker, path):
    with urllib.request.urlopen(broker.admin_url + path, timeout=10) as response:
        return json.loads(response.read())


def lag_group(broker, group):
    """/v1/lag/groups/{group}, or None while the monitor has not seen the group."""
    try:
        return get_json(broker, f"/v1/lag/groups/{group}")
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise


def wait_group(broker, group, predicate, timeout, what):
    """Waits until the group's lag view satisfies `predicate`; returns that view."""
    def check():
        view = lag_group(broker, group)
        return view if view is not None and predicate(view) else None
    return wait_until(check, timeout, f"{group}: {what}", interval=TICK_S / 3)


def transitions(broker, group):
    return get_json(broker, f"/v1/lag/transitions?group={group}&limit=1000")["transitions"]


def create_topic(bootstrap, topic, partitions=1):
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(topic, partitions, 1)]).values():
        future.result(30)


def produce(bootstrap, topic, count, partition=0, timestamps=None):
    from confluent_kafka import Producer
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(count):
        kwargs = {"timestamp": timestamps[i]} if timestamps else {}
        producer.produce(topic, value=f"v{i}".encode(), partition=partition, **kwargs)
    assert producer.flush(30) == 0


class SteadyProducer:
    """Produces to one partition at about `rate` records/s on a thread until stop()."""

    def __init__(self, bootstrap, topic, rate):
        from confluent_kafka import Producer
        self._producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
        self._topic, self._rate = topic, rate
        self._stop = threading.Event()
        self.sent = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        started = time.monotonic()
        while not self._stop.is_set():
            due = int((time.monotonic() - started) * self._rate)
            while self.sent < due:
                self._producer.produce(self._topic, value=b"x" * 100, partition=0)
                self.sent += 1
            self._producer.poll(0)
            self._stop.wait(0.01)
        assert self._producer.flush(30) == 0

    def stop(self):
        self._stop.set()
        self._thread.join(60)


class ConsumerProcess:
    """tests/e2e/lag_consumer.py in its own process (so it can be SIGKILLed)."""

    def __init__(self, bootstrap, group, topic, rate=0, fast_rate=None):
        args = [sys.executable, str(HERE / "lag_consumer.py"), bootstrap, group, topic, str(rate)]
        if fast_rate is not None:
            args.append(str(fast_rate))
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = []
        threading.Thread(target=self._read, daemon=True).start()
        wait_until(lambda: "assigned" in self.lines or self.proc.poll() is not None, 30, "consumer assigned")
        assert self.proc.poll() is None, f"consumer exited: {self.proc.stderr.read()}"

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.strip())

    def signal(self, sig):
        self.proc.send_signal(sig)

    def kill(self):
        self.proc.kill()
        self.proc.wait(10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
