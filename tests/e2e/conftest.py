"""Fixtures that run the real build/spate binary on a free loopback port."""
import os
import pathlib
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


class Broker:
    """A running spate process; its log lines are collected in `log`."""

    def __init__(self, data_dir, extra_args=()):
        self.port = free_port()
        self.host = "127.0.0.1"
        self.data_dir = data_dir
        self.log = []
        self._ready = threading.Event()
        self.proc = subprocess.Popen(
            [str(SPATE), "serve", "--listen", f"{self.host}:{self.port}", "--data-dir", str(data_dir), *extra_args],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._read_log, daemon=True).start()
        if not self._ready.wait(READY_TIMEOUT_S):
            self.stop()
            raise RuntimeError("spate did not become ready:\n" + "".join(self.log))

    def _read_log(self):
        for line in self.proc.stderr:
            self.log.append(line)
            if " ready " in line:
                self._ready.set()
        self._ready.set()  # process exited; the waiter checks the log

    @property
    def bootstrap(self):
        return f"{self.host}:{self.port}"

    def stop(self, sig=None):
        if self.proc.poll() is None:
            if sig is None:
                self.proc.terminate()
            else:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


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
