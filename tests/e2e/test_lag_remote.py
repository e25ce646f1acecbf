"""`spate lag-monitor`: the lag monitor for a cluster it does not run. A second spate broker plays the
external cluster; the monitor reads it over librdkafka and serves the lag API. Stopping the external
broker must show the cluster OFFLINE and leave a gap in history; restarting it on the same port and
data directory must resume sampling."""
import json
import re
import subprocess
import threading
import time
import urllib.request

import pytest

from conftest import SPATE, free_port, stop_process, wait_until
from lag_cli_support import commit_as_group, get, group_of, produce

INTERVAL_MS = 300
PER_PARTITION = 10
COMMITTED = {0: 4, 1: 10, 2: 0}  # so the lag is 6, 0 and 10


class Process:
    """A spate process whose stdout/stderr lines are collected; `ready` is the first line matching."""

    def __init__(self, args, ready_pattern, ready_stream):
        self.lines = []
        self.ready_match = None
        self._ready = threading.Event()
        self.proc = subprocess.Popen([str(SPATE), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        for stream, name in ((self.proc.stdout, "stdout"), (self.proc.stderr, "stderr")):
            threading.Thread(target=self._read, args=(stream, name == ready_stream, ready_pattern),
                             daemon=True).start()
        if not self._ready.wait(20) or self.ready_match is None:
            self.stop()
            raise RuntimeError(f"spate {args[0]} did not become ready:\n" + "".join(self.lines))

    def _read(self, stream, watch, pattern):
        for line in stream:
            self.lines.append(line)
            if watch and self.ready_match is None:
                match = re.search(pattern, line)
                if match:
                    self.ready_match = match
                    self._ready.set()
        if watch:
            self._ready.set()

    def stop(self):
        return stop_process(self.proc)


def start_external(port, data_dir):
    return Process(["serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data_dir, "--set",
                    "admin.listeners=127.0.0.1:0", "--set", "topics=orders:3"], r" ready ", "stderr")


def start_monitor(bootstrap, db, *extra):
    return Process(["lag-monitor", "--brokers", bootstrap, "--http-listen", "127.0.0.1:0", "--db", db,
                    "--interval-ms", INTERVAL_MS, *extra],
                   r"^spate lag-monitor ready http=(\S+:\d+) cluster=(\S+)$", "stdout")


@pytest.fixture
def external(tmp_path):
    port = free_port()
    data = tmp_path / "external"
    procs = [start_external(port, data)]

    class External:
        bootstrap = f"127.0.0.1:{port}"

        def stop(self):
            assert procs[-1].stop() == 0

        def restart(self):
            procs.append(start_external(port, data))

    yield External()
    for p in procs:
        p.stop()


@pytest.fixture
def monitor_factory(tmp_path):
    started = []

    def start(bootstrap, *extra):
        m = start_monitor(bootstrap, tmp_path / "lag.db", *extra)
        started.append(m)
        return m, f"http://{m.ready_match.group(1)}"

    yield start
    for m in started:
        m.stop()
        assert not [line for line in m.lines if "AddressSanitizer" in line or "runtime error" in line], m.lines


def test_remote_monitor_reports_a_groups_lag_per_partition(external, monitor_factory):
    produce(external.bootstrap, PER_PARTITION)
    commit_as_group(external.bootstrap, "billing", COMMITTED)
    monitor, url = monitor_factory(external.bootstrap, "--cluster", "ext")
    assert monitor.ready_match.group(2) == "ext"

    want_total = sum(PER_PARTITION - c for c in COMMITTED.values())
    group = wait_until(lambda: (g := group_of(url, "billing")) and g["total_lag"] == want_total and g,
                       15, "billing's lag")
    assert group["max_lag"] == PER_PARTITION - min(COMMITTED.values())
    assert group["state"] == "Empty" and group["members"] == 0

    clusters = get(url, "/v1/lag/clusters")["clusters"]
    assert [c["cluster"] for c in clusters] == ["ext"]
    assert clusters[0]["error"] is None and clusters[0]["sample_interval_ms"] == INTERVAL_MS

    # Timestamps come from fetches that may not all fit in the first ticks: wait for them.
    detail = wait_until(lambda: (d := get(url, "/v1/lag/groups/billing")) and all(
        p["time_lag_ms"] > 0 for p in d["partitions"] if p["offset_lag"] > 0) and d, 10, "time lags")
    by_partition = {p["partition"]: p for p in detail["partitions"]}
    assert sorted(by_partition) == [0, 1, 2]
    for partition, committed in COMMITTED.items():
        p = by_partition[partition]
        assert p["topic"] == "orders"
        assert p["committed_offset"] == committed
        assert p["high_watermark"] == PER_PARTITION and p["end_offset"] == PER_PARTITION
        assert p["last_stable_offset"] == PER_PARTITION and p["log_start_offset"] == 0
        assert p["read_committed"] is False
        assert p["offset_lag"] == PER_PARTITION - committed
        # The first unconsumed record was produced before the group committed: time lag > 0.
        assert (p["time_lag_ms"] > 0) == (committed < PER_PARTITION), p

    # The same monitor's metrics, under the cluster's name.
    with urllib.request.urlopen(url + "/metrics", timeout=10) as resp:
        metrics = resp.read().decode()
    assert re.search(r'kafka_consumergroup_group_lag\{cluster_name="ext",group="billing",topic="orders",'
                     r'partition="2"[^}]*\} 10\b', metrics), metrics

    # More records: sampling follows.
    produce(external.bootstrap, 5)
    wait_until(lambda: group_of(url, "billing")["total_lag"] == want_total + 15, 15, "the lag to grow by 15")

    assert monitor.stop() == 0


def test_remote_monitor_reports_the_cluster_offline_and_resumes_after_a_restart(external, monitor_factory):
    produce(external.bootstrap, PER_PARTITION)
    commit_as_group(external.bootstrap, "billing", COMMITTED)
    _, url = monitor_factory(external.bootstrap)
    want_total = sum(PER_PARTITION - c for c in COMMITTED.values())
    wait_until(lambda: (g := group_of(url, "billing")) and g["total_lag"] == want_total, 15, "billing's lag")
    online_until = int(time.time() * 1000)

    external.stop()
    body = wait_until(lambda: (b := get(url, "/v1/lag/groups"))["error"] and b, 20, "the cluster OFFLINE")
    assert body["cluster"] == "remote"
    assert "\n" not in body["error"] and body["error"], body["error"]
    # The last known groups stay visible while offline.
    assert [g["group"] for g in body["groups"]] == ["billing"]
    assert get(url, "/v1/lag/clusters")["clusters"][0]["error"] == body["error"]

    time.sleep(3 * INTERVAL_MS / 1000)  # a few offline ticks, so the gap has a length
    external.restart()
    wait_until(lambda: get(url, "/v1/lag/groups")["error"] is None, 30, "sampling to resume")
    produce(external.bootstrap, 5)
    wait_until(lambda: group_of(url, "billing")["total_lag"] == want_total + 15, 15, "lag sampled after the restart")

    history = get(url, f"/v1/lag/groups/billing/history?from={online_until - 60000}")
    assert history["gaps"], history
    gap = history["gaps"][0]
    assert gap["from_ms"] >= online_until - 1000 and gap["to_ms"] >= gap["from_ms"], gap
    assert gap["error"]
    # Points exist before and after the gap.
    times = [p["at_ms"] for p in history["points"]]
    assert any(t < gap["from_ms"] for t in times) and any(t > gap["to_ms"] for t in times), (times, gap)


def test_spate_lag_reads_a_lag_monitor(external, monitor_factory):
    produce(external.bootstrap, PER_PARTITION)
    commit_as_group(external.bootstrap, "billing", COMMITTED)
    _, url = monitor_factory(external.bootstrap)
    want_total = sum(PER_PARTITION - c for c in COMMITTED.values())
    wait_until(lambda: (g := group_of(url, "billing")) and g["total_lag"] == want_total, 15, "billing's lag")

    def spate(*args):
        return subprocess.run([str(SPATE), "lag", *args, "--admin", url], capture_output=True, text=True, timeout=30)

    listing = spate()
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert lines[0].startswith("cluster remote  sampled "), lines[0]
    assert re.split(r"  +", lines[1]) == ["GROUP", "STATUS", "OFFSET_LAG", "TIME_LAG", "ETA", "STATE", "MEMBERS",
                                          "REASON"]
    row = re.split(r"  +", lines[2])
    assert row[0] == "billing" and row[2] == str(want_total), lines

    detail = json.loads(spate("billing", "--json").stdout)
    assert {p["partition"]: p["offset_lag"] for p in detail["partitions"]} == \
        {p: PER_PARTITION - c for p, c in COMMITTED.items()}

    unknown = spate("nope")
    assert unknown.returncode == 1 and len(unknown.stderr.splitlines()) == 1, unknown
    assert unknown.stderr.startswith("spate lag: ") and "404" in unknown.stderr
