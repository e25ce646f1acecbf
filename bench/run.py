#!/usr/bin/python3
"""spate benchmark runner: one command, one JSON document on stdout.

    bench/run.sh [--quick] [--no-build] [--spate PATH] [--only NAME,...] [--keep]

Builds what it needs (spate in build-bench/, Release; the bench tools with it when the top-level
CMakeLists.txt includes bench/, else standalone in build-bench/bench-tools), starts two spate
brokers on free loopback ports with temporary data directories, librdkafka's mock cluster as a
reference peer and bench/null_broker (stores nothing) as the load tool's ceiling, runs the scenarios, measures the machine's limits (fio, iperf3) and prints one JSON
document: scenarios, machine, broker resource use, the target ratios with pass/fail, git commit,
date. Progress goes to stderr. See bench/README.md.

Standard library only; runs under /usr/bin/python3 (Debian 12).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
T0 = time.monotonic()
INT64_MAX = 9223372036854775807

# Message counts and durations. Produce runs also stop sending after `produce_cap_s` (whatever was
# delivered by then is measured), so a slow broker cannot blow the time budget.
PROFILES = {
    "default": {
        "n_1k": 1_000_000,  # 1 KiB messages: ~1 GB
        "n_100b": 3_000_000,  # 100 B messages: ~300 MB
        "produce_cap_s": 30,
        "stall_s": 15,  # a produce run gives up after this long without a delivery report
        "consume_timeout_s": 60,
        "latency_s": 10,
        "latency_rate": 1000,
        "mock_consume_prep": 280_000,  # the mock keeps ~5 MB per partition: 64 partitions
        "fio_size": "1G",
        "iperf_s": 5,
        "replay_groups": 1000,  # offsets_replay: groups x commits x partitions offset records
        "replay_commits": 100,
        "many_partitions": 10_000,
        "produce_s": 20,  # each spate acks=1 produce scenario sends this long (sustained, not a burst)
        "produce_fsync_s": 10,  # each acks=all fsync one (nothing to absorb: every append is synced)
        "many_producers": 32,  # producer instances of produce_1k_acks1_keyed_<N>producers
        "many_producers_s": 8,  # each of its four rounds (1, N, N, 1 producers)
        "soak_minutes": 30,  # --soak: the soak's length
        "soak_max_s": 20,  # --soak: the short acks=all run that measures the maximum rate first
    },
    "quick": {
        "n_1k": 30_000,
        "n_100b": 100_000,
        "produce_cap_s": 10,
        "stall_s": 8,
        "consume_timeout_s": 20,
        "latency_s": 3,
        "latency_rate": 1000,
        "mock_consume_prep": 30_000,
        "fio_size": "128M",
        "iperf_s": 2,
        "replay_groups": 100,
        "replay_commits": 20,
        "many_partitions": 2_000,
        "produce_s": 8,
        "produce_fsync_s": 5,
        "many_producers": 32,
        "many_producers_s": 5,
        "soak_minutes": 30,
        "soak_max_s": 8,
    },
}

MOCK_CONSUME_PARTITIONS = 64

# Targets the broker is judged by: name -> (description, op, target).
# spate's produce figures in ratios are steady-state ones (steady_mb_per_s: the last half of a
# produce_s run); the references (mock, null_broker) keep everything in memory, so their whole run is
# their steady state.
TARGETS = {
    # Issue 15 (performance): produce, durable produce, consume from the page cache, CPU, latency.
    "produce_vs_mock": ("produce_1k_acks1 steady MB/s / mock_produce_1k_acks1 MB/s", ">=", 1.0),
    "produce_vs_null": ("produce_1k_acks1 steady MB/s / null_produce_1k_acks1 MB/s", ">=", 0.85),
    "produce_100b_vs_mock": ("produce_100b_acks1 steady msgs/s / mock_produce_100b_acks1 msgs/s", ">=", 1.0),
    "fsync_produce_vs_fio": ("produce_1k_acksall_fsync steady MB/s / fio fdatasync-per-MiB MB/s", ">=", 0.9),
    "consume_vs_null": ("consume_1k_pagecache MB/s / null_consume_1k MB/s (1 partition, read from the page "
                        "cache)", ">=", 0.8),
    "consume_8p_vs_null": ("consume_1k_pagecache_8p MB/s / null_consume_1k_8p MB/s (8 partitions, read from "
                           "the page cache)", ">=", 0.8),
    "produce_cpu_s_per_gb": ("produce_1k_acks1: broker CPU-s per GB of payload", "<=", 0.5),
    "consume_cpu_s_per_gb": ("consume_1k_pagecache: broker CPU-s per GB of payload", "<=", 0.15),
    "latency_p99_ms": ("e2e_latency_1k end-to-end p99 (ms), 1,000 msg/s, durable broker, default consumer",
                       "<=", 5.0),
    "latency_p50_ms": ("e2e_latency_1k end-to-end p50 (ms)", "<=", 6.0),
    # Older issues.
    "consume_vs_loopback": ("consume_1k_pagecache MB/s / iperf3 loopback MB/s", ">=", 0.45),
    "idle_rss_mb": ("broker VmRSS after start, before load (MB)", "<", 30.0),
    "many_partitions_fds_per_partition": ("many_partitions: open descriptors per idle partition (over a broker without topics)", "<=", 1.0),
    "many_partitions_startup_s": ("many_partitions: restart to ready (s)", "<=", 3.0),
    "many_partitions_idle_rss_mb": ("many_partitions: VmRSS after the restart, idle (MB)", "<=", 100.0),
    "many_partitions_metadata_ms": ("many_partitions: Metadata for all topics, median of 5 (ms)", "<=", 50.0),
    "many_producers_vs_one": ("produce_1k_acks1_keyed_32producers steady MB/s / produce_1k_acks1_keyed_1producer "
                              "steady MB/s (64 partitions, keyed, mean of 2 rounds each)", ">=", 0.8),
    # Issue 16: "a broker with 10,000 ACLs answers within noise of one with none"; the on/off pairs
    # of this machine vary by about 5 % between rounds.
    "tls_produce_vs_plain": ("produce_1k_acks1 MB/s over an SSL listener / over PLAINTEXT, same broker, "
                             "alternating rounds", ">=", 0.6),
    "tls_consume_vs_plain": ("consume_1k MB/s over an SSL listener / over PLAINTEXT, same broker, "
                             "alternating rounds", ">=", 0.6),
    "acls_vs_none": ("produce_100b_acks1 with 10,000 ACLs (authorizer.enabled) / without an authorizer, "
                     "msgs/s, alternating rounds", ">=", 0.95),
}

# Judged only when the soak ran (bench/run.sh --soak).
SOAK_TARGETS = {
    "soak_ack_p99_last_vs_first": ("soak: ack p99 of the last window / of the first (5 min each; a quarter "
                                   "of a shorter soak)", "<=", 1.5),
    "soak_rss_growth_pct": ("soak: broker VmRSS growth, median sample of the last window over the first's (%)",
                            "<", 10.0),
    "soak_errors": ("soak: delivery failures + undelivered + consumer errors + client errors", "<=", 0),
}


def log(msg: str) -> None:
    print(f"[bench {time.monotonic() - T0:6.1f}s] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# processes


class Children:
    """Every process we start, so that we can always stop them (by pid) on the way out."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def add(self, p: subprocess.Popen) -> subprocess.Popen:
        self.procs.append(p)
        return p

    def stop(self, p: subprocess.Popen, timeout: float = 10) -> None:
        if p.poll() is None:
            try:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
            except ProcessLookupError:
                pass
        for f in (p.stdin, p.stdout, p.stderr):
            if f:
                try:
                    f.close()
                except OSError:
                    pass

    def stop_all(self) -> None:
        for p in reversed(self.procs):
            try:
                self.stop(p, timeout=5)
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass


CHILDREN = Children()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str], timeout: float, cwd: str | None = None) -> tuple[int, str, str]:
    """Runs a command to completion (bounded); returns (rc, stdout, stderr). rc -9: timed out."""
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
        return -9, out, err + f"\n(timed out after {timeout:.0f} s)"
    except FileNotFoundError as e:
        return 127, "", str(e)


def run_sampled(cmd: list[str], timeout: float, sample, every_s: float = 1.0) -> tuple[int, str, str]:
    """run() that calls `sample()` every `every_s` seconds while the command runs (it waits for the
    process with a timeout, so it returns as soon as the process exits). rc -9: timed out."""
    with tempfile.TemporaryFile("w+") as fo, tempfile.TemporaryFile("w+") as fe:
        try:
            p = CHILDREN.add(subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=fo, stderr=fe, text=True))
        except FileNotFoundError as e:
            return 127, "", str(e)
        deadline = time.monotonic() + timeout
        rc: int | None = None
        while rc is None and time.monotonic() < deadline:
            try:
                rc = p.wait(timeout=min(every_s, max(0.01, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                sample()
        if rc is None:
            CHILDREN.stop(p, timeout=5)
            rc = -9
        fo.seek(0)
        fe.seek(0)
        out, err = fo.read(), fe.read()
        if rc == -9:
            err += f"\n(timed out after {timeout:.0f} s)"
        return rc, out, err


def dirty_mb() -> float | None:
    """The page cache's dirty and under-writeback data, machine-wide (MB)."""
    try:
        with open("/proc/meminfo") as f:
            kb = {line.split(":")[0]: int(line.split()[1]) for line in f if line.startswith(("Dirty:", "Writeback:"))}
        return round((kb.get("Dirty", 0) + kb.get("Writeback", 0)) * 1024 / 1e6, 1)
    except (OSError, ValueError, IndexError):
        return None


def tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


# ---------------------------------------------------------------------------------------------
# /proc sampling

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_status_kb(pid: int, key: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def proc_cpu_s(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    # Fields after the command name (which may contain spaces) start after the last ')'.
    fields = data[data.rindex(")") + 2:].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / CLK_TCK


# ---------------------------------------------------------------------------------------------
# build


def bench_in_top_level() -> bool:
    try:
        with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
            return any(line.strip().startswith("add_subdirectory(bench") for line in f)
    except OSError:
        return False


def build(args) -> tuple[str, str, str, str]:
    """Returns (spate, spate_load, mock_cluster, null_broker) paths, building as needed. null_broker
    exists only when the tools are built with the top level (it links the protocol module)."""
    bdir = os.path.abspath(args.build_dir)
    integrated = bench_in_top_level()
    tools_dir = os.path.join(bdir, "bench") if integrated else os.path.join(bdir, "bench-tools")
    spate = os.path.abspath(args.spate) if args.spate else os.path.join(bdir, "spate")
    load, mock = os.path.join(tools_dir, "spate_load"), os.path.join(tools_dir, "mock_cluster")
    null = os.path.join(tools_dir, "null_broker")
    if args.no_build:
        return spate, load, mock, null
    gen = ["-G", "Ninja"] if shutil.which("ninja") else []
    targets = []
    if not args.spate:
        targets.append("spate")
    if integrated:
        targets += ["spate_load", "mock_cluster", "lag_store_bench", "null_broker"]
    if targets:
        log(f"building {', '.join(targets)} in {bdir} (Release)")
        if not os.path.exists(os.path.join(bdir, "CMakeCache.txt")):
            rc, out, err = run(["cmake", "-S", ROOT, "-B", bdir, *gen, "-DCMAKE_BUILD_TYPE=Release",
                                "-DSPATE_TESTS=OFF"], timeout=600)
            if rc != 0:
                raise SystemExit(f"cmake configure failed:\n{tail(out + err, 30)}")
        rc, out, err = run(["cmake", "--build", bdir, "--target", *targets], timeout=3600)
        if rc != 0:
            raise SystemExit(f"build failed:\n{tail(out + err, 30)}")
    if not integrated:
        log(f"building bench tools standalone in {tools_dir}")
        if not os.path.exists(os.path.join(tools_dir, "CMakeCache.txt")):
            rc, out, err = run(["cmake", "-S", os.path.join(ROOT, "bench"), "-B", tools_dir, *gen,
                                "-DCMAKE_BUILD_TYPE=Release"], timeout=600)
            if rc != 0:
                raise SystemExit(f"cmake configure (bench) failed:\n{tail(out + err, 30)}")
        rc, out, err = run(["cmake", "--build", tools_dir], timeout=1200)
        if rc != 0:
            raise SystemExit(f"bench build failed:\n{tail(out + err, 30)}")
    return spate, load, mock, null


# ---------------------------------------------------------------------------------------------
# brokers


class Broker:
    def __init__(self, name: str, binary: str, workdir: str, settings: dict[str, str],
                 topics: list[tuple[str, int]]) -> None:
        self.name = name
        self.port = free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.data = os.path.join(workdir, f"data-{name}")
        self.log_path = os.path.join(workdir, f"spate-{name}.log")
        self.settings = dict(settings)
        if topics:
            self.settings["topics"] = ",".join(f"{t}:{p}" for t, p in topics)
        cmd = [binary, "serve", "--listen", self.bootstrap, "--data-dir", self.data]
        # The admin API on an ephemeral port: two brokers run side by side (older binaries lack it).
        if spate_supports(binary, "admin.listeners"):
            cmd += ["--set", "admin.listeners=127.0.0.1:0"]
        for k, v in self.settings.items():
            cmd += ["--set", f"{k}={v}"]
        self.cmd = cmd
        self.proc: subprocess.Popen | None = None
        self.idle_rss_kb: int | None = None
        self.start_s: float | None = None
        self.error: str | None = None

    def start(self, timeout: float = 30) -> bool:
        os.makedirs(self.data, exist_ok=True)
        logf = open(self.log_path, "w")
        t = time.monotonic()
        self.proc = CHILDREN.add(subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=logf,
                                                  stderr=subprocess.STDOUT))
        logf.close()
        deadline = t + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.error = f"spate exited with {self.proc.returncode}: {tail(self.read_log())}"
                return False
            if " ready " in self.read_log() or "spate ready" in self.read_log():
                self.start_s = time.monotonic() - t
                return True
            time.sleep(0.05)
        self.error = f"spate not ready within {timeout:.0f} s: {tail(self.read_log())}"
        return False

    def read_log(self) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    @property
    def pid(self) -> int:
        assert self.proc
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def cpu_s(self) -> float | None:
        return proc_cpu_s(self.pid) if self.alive() else None

    def stop(self) -> dict:
        info: dict = {"bootstrap": self.bootstrap, "settings": self.settings}
        if self.proc is not None:
            info["peak_rss_mb"] = mb_from_kb(proc_status_kb(self.pid, "VmHWM")) if self.alive() else None
            info["final_rss_mb"] = mb_from_kb(proc_status_kb(self.pid, "VmRSS")) if self.alive() else None
            info["cpu_s_total"] = self.cpu_s()
            info["alive_at_end"] = self.alive()
            CHILDREN.stop(self.proc)
            info["exit_code"] = self.proc.returncode
        info["idle_rss_mb"] = mb_from_kb(self.idle_rss_kb)
        info["startup_s"] = round(self.start_s, 3) if self.start_s is not None else None
        if self.error:
            info["error"] = self.error
        return info


def mb_from_kb(kb: int | None) -> float | None:
    return None if kb is None else round(kb * 1024 / 1e6, 2)


def spate_supports(binary: str, key: str) -> bool:
    rc, out, err = run([binary, "serve", "--help"], timeout=20)
    return key in out + err


# ---------------------------------------------------------------------------------------------
# scenarios


class Bench:
    def __init__(self, args, load: str, workdir: str) -> None:
        self.args = args
        self.load = load
        self.workdir = workdir
        self.scenarios: dict[str, dict] = {}
        self.only = set(args.only.split(",")) if args.only else None

    def wanted(self, name: str) -> bool:
        return self.only is None or name in self.only

    def load_run(self, name: str, mode: str, bootstrap: str, topic: str, extra: list[str],
                 timeout: float, broker: Broker | None = None, meta: dict | None = None) -> dict:
        cmd = [self.load, mode, "-b", bootstrap, "-t", topic, "--label", name, *extra]
        cpu0 = broker.cpu_s() if broker else None
        t = time.monotonic()
        peaks: dict[str, float] = {}

        def sample() -> None:  # once a second: the broker's RSS and the page cache's dirty data
            for k, v in (("broker_rss_mb_max", mb_from_kb(proc_status_kb(broker.pid, "VmRSS"))
                          if isinstance(broker, Broker) and broker.alive() else None),
                         ("page_cache_dirty_mb_max", dirty_mb())):
                if v is not None:
                    peaks[k] = max(v, peaks.get(k, 0.0))

        rc, out, err = run_sampled(cmd, timeout + 30, sample)
        wall = time.monotonic() - t
        cpu1 = broker.cpu_s() if broker else None
        res: dict
        try:
            res = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            res = {"ok": False, "error": f"spate_load exited {rc} without JSON: {tail(err)}"}
        if not res.get("ok"):
            res.setdefault("error", "failed")
            res["stderr_tail"] = tail(err, 12)
        res["exit_code"] = rc
        res["wall_s"] = round(wall, 3)
        res.update(peaks)
        res["command"] = " ".join(cmd)
        if meta:
            res.update(meta)
        if broker is not None and cpu0 is not None and cpu1 is not None:
            cpu = cpu1 - cpu0
            res["broker_cpu_s"] = round(cpu, 3)
            b = res.get("bytes")
            if b:
                res["broker_cpu_s_per_gb"] = round(cpu / (b / 1e9), 3)
        self.scenarios[name] = res
        if res.get("ok"):
            if mode == "latency":
                e = res.get("e2e_ms", {})
                log(f"{name}: e2e p50 {e.get('p50')} ms, p99 {e.get('p99')} ms, p99.9 {e.get('p99_9')} ms")
            else:
                log(f"{name}: {res.get('mb_per_s')} MB/s, {res.get('msgs_per_s')} msgs/s"
                    + (f" (first 5 s {res['first_5s_mb_per_s']}, steady {res['steady_mb_per_s']} MB/s)"
                       if mode == "produce" and "steady_mb_per_s" in res else "")
                    + (f", ack p99 {res['ack_ms']['p99']} ms" if res.get("ack_ms") else "")
                    + (f", broker {res['broker_cpu_s_per_gb']} CPU-s/GB" if "broker_cpu_s_per_gb" in res else ""))
        else:
            log(f"{name}: FAILED: {res.get('error')}")
        return res

    def produce(self, name: str, bootstrap: str, topic: str, count: int, size: int, acks: str,
                broker: Broker | None, meta: dict, keys: int = 0, duration: float | None = None,
                producers: int = 1, force: bool = False, client: list[str] | None = None) -> dict | None:
        """A produce run: `count` records or `produce_cap_s`, whichever comes first; with `duration`,
        a sustained run that sends for that long (count is then only a cap). `force`: run it even
        when --only does not name it (a step of another scenario)."""
        if not self.wanted(name) and not force:
            return None
        cap = duration if duration else self.args.profile["produce_cap_s"]
        extra = ["-n", str(count), "-s", str(size), "--acks", acks, "--linger-ms", "5",
                 "--duration-s", str(cap), "--timeout-s", str(cap + 30),
                 "--stall-s", str(self.args.profile["stall_s"])]
        extra += ["--keys", str(keys)] if keys else []
        extra += ["--producers", str(producers)] if producers > 1 else []
        extra += client or []
        return self.load_run(name, "produce", bootstrap, topic, extra, cap + 30, broker, meta)

    def consume(self, name: str, bootstrap: str, topic: str, count: int, broker: Broker | None,
                meta: dict, allow_short: bool = False, client: list[str] | None = None) -> dict | None:
        if not self.wanted(name):
            return None
        if count <= 0:
            self.scenarios[name] = {"ok": False, "error": "nothing was produced to consume", **meta}
            log(f"{name}: skipped, nothing produced")
            return None
        to = self.args.profile["consume_timeout_s"]
        extra = ["-n", str(count), "--timeout-s", str(to), "--stall-s", str(self.args.profile["stall_s"])]
        extra += ["--allow-short"] if allow_short else []
        extra += client or []
        return self.load_run(name, "consume", bootstrap, topic, extra, to, broker, meta)

    def latency(self, name: str, bootstrap: str, topic: str, broker: Broker | None, meta: dict) -> dict | None:
        if not self.wanted(name):
            return None
        p = self.args.profile
        extra = ["--rate", str(p["latency_rate"]), "-s", "1024", "--duration-s", str(p["latency_s"]),
                 "--acks", "1", "--timeout-s", str(p["latency_s"] + 40)]
        return self.load_run(name, "latency", bootstrap, topic, extra, p["latency_s"] + 60, broker, meta)

    def wait_topic(self, bootstrap: str, topic: str) -> str | None:
        rc, out, err = run([self.load, "metadata", "-b", bootstrap, "-t", topic, "--timeout-s", "20"],
                           timeout=60)
        try:
            r = json.loads(out.strip().splitlines()[-1])
            return None if r.get("ok") else r.get("error", "metadata failed")
        except (ValueError, IndexError):
            return f"metadata: {tail(err)}"


def delivered(res: dict | None) -> int:
    return int(res.get("delivered", 0)) if res else 0


SUSTAINED_COUNT = 1_000_000_000  # produce runs of spate are bounded by produce_s, this is only a cap

# The disk: a broker's logs may use at most DISK_BUDGET_FRACTION of the work directory's free space
# (measured at the start; --disk-budget-gb overrides). A broker whose runs could write more than that
# (duration x WRITE_RATE_BOUND, a rate above loopback TCP on the machines we run on) gets broker-level
# size retention, checked every RETENTION_CHECK_MS, that deletes its oldest segments as it goes.
DISK_BUDGET_FRACTION = 0.4
WRITE_RATE_BOUND = 2.5e9  # bytes/s
RETENTION_CHECK_MS = 1000


def retention_settings(budget: int, partitions: int, max_bytes: float) -> dict[str, str]:
    """Broker settings that keep a broker's logs within `budget` bytes of disk over `partitions`
    partitions, or {} when `max_bytes` (the most its runs can write) fits in the budget anyway.
    A partition holds at most log.retention.bytes plus two segments (the closed one retention keeps
    over the limit, and the active one) plus what arrives between two checks; the latter is set
    aside for all partitions together (one check interval at WRITE_RATE_BOUND). Segments stay at
    spate's default (1 GiB) unless an eighth of a partition's share is smaller."""
    if max_bytes <= budget:
        return {}
    share = max(0.0, budget - WRITE_RATE_BOUND * RETENTION_CHECK_MS / 1000) / max(1, partitions)
    segment = int(min(1 << 30, max(1 << 20, share // 8)))
    retention = int(max(segment, share - 2 * segment))
    return {"log.retention.bytes": str(retention), "log.segment.bytes": str(segment),
            "log.retention.check.interval.ms": str(RETENTION_CHECK_MS)}


def retention_deleted_bytes(b: Broker) -> int:
    """Bytes retention deleted so far (the broker's per-partition event=retention log lines; each run
    also logs a total, without topic=)."""
    return sum(int(m.group(1)) for m in re.finditer(r"event=retention topic=\S+ .*?bytes_deleted=(\d+)",
                                                   b.read_log()))


def run_spate(bench: Bench, spate: str, workdir: str, brokers_out: dict) -> None:
    """The spate scenarios. Every produce scenario gets a fresh broker (fresh data directory, deleted
    when it stops, which also drops its dirty pages), so one scenario's log and write-back do not slow
    the next. Produce runs are sustained: they send for `produce_s` (acks=1) or `produce_fsync_s`
    (acks=all, fsync before the ack: the page cache absorbs nothing there) and report the first 5 s
    apart from the steady state (the last half of the run). The `_cold` consume scenarios read, on
    the same broker, the oldest records their produce scenario just wrote: with the default page
    cache window (log.page.cache.keep.bytes) those were written back and dropped from the cache, so
    they come from the disk. Consuming from the page cache has a broker of its own that keeps
    everything in the cache (log.page.cache.keep.bytes=-1, Kafka's behaviour): a count-bound produce
    of n_1k records fills a 1-partition and an 8-partition topic, then the consume scenarios read them."""
    a, p = bench.args, bench.args.profile
    parts = a.partitions
    has_flush = spate_supports(spate, "log.flush.interval.messages") if os.path.exists(spate) else False
    has_keep = spate_supports(spate, "log.page.cache.keep.bytes") if os.path.exists(spate) else False
    # Page-cache durability: acknowledged once in the page cache, fsynced later (Kafka's default
    # trade; log.flush.interval.messages=Long.MAX). Durable: spate's default,
    # log.flush.interval.messages=1, every append fdatasync'ed (group-committed) before the ack.
    pc_settings = {"log.flush.interval.messages": str(INT64_MAX)} if has_flush else {}
    pc_dur = ("page cache (log.flush.interval.messages=max)" if has_flush
              else "broker default (binary has no log.flush.interval.messages)")
    d_settings = {"log.flush.interval.messages": "1"} if has_flush else {}
    d_dur = ("fsync before ack (log.flush.interval.messages=1, the default)" if has_flush
             else "broker default (binary has no log.flush.interval.messages)")
    # The page-cache reading broker: nothing is dropped from the cache (binaries without the window
    # never drop anything).
    read_settings = pc_settings | ({"log.page.cache.keep.bytes": "-1"} if has_keep else {})
    read_dur = pc_dur + (", log.page.cache.keep.bytes=-1" if has_keep else "")
    secs, fsync_secs = p["produce_s"], p["produce_fsync_s"]
    n_1k, n_100b = SUSTAINED_COUNT, SUSTAINED_COUNT
    budget = a.disk_budget

    def sustained(partitions: int, seconds: float) -> dict[str, str]:  # retention when needed
        return retention_settings(budget, partitions, seconds * WRITE_RATE_BOUND)

    def consume_cold(name: str, b: Broker, topic: str, r: dict | None, cap: int, meta: dict) -> None:
        # The first min(delivered, cap) records still in the log: the oldest, out of the page cache
        # window. With retention on, let its last check run first (nothing is written any more), so
        # the log's start does not move under the consumer; the consumer then reads the oldest
        # records retention left, as cold as the first ones.
        if "log.retention.bytes" in b.settings and bench.wanted(name):
            time.sleep(1.5 * RETENTION_CHECK_MS / 1000)
        deleted = retention_deleted_bytes(b)
        bench.consume(name, b.bootstrap, topic, min(delivered(r), cap), b,
                      dict(meta, page_cache="default window (log.page.cache.keep.bytes): the oldest records, "
                                            "written back and dropped from the cache",
                           retention_deleted_mb_before=round(deleted / 1e6, 1)))

    def fill_and_consume(name: str, b: Broker, topic: str, meta: dict) -> None:
        # A count-bound produce of n_1k 1 KiB records (a preparation step, not a scenario), then
        # the consume scenario reads them back from the page cache.
        if not bench.wanted(name):
            return
        f = bench.produce(f"{name}_fill", b.bootstrap, topic, p["n_1k"], 1024, "1", b, meta, force=True)
        bench.scenarios.pop(f"{name}_fill", None)
        fill = {k: (f or {}).get(k) for k in ("ok", "delivered", "mb_per_s", "stopped_by", "error")}
        bench.consume(name, b.bootstrap, topic, min(delivered(f), p["n_1k"]), b,
                      dict(meta, page_cache="all of it (log.page.cache.keep.bytes=-1)", fill=fill))

    def read_body(b: Broker, m: dict) -> None:
        fill_and_consume("consume_1k_pagecache", b, "bench-1k-read", m)
        fill_and_consume("consume_1k_pagecache_8p", b, "bench-1k-read-8p", dict(m, partitions_note=(
            f"{NULL_CONSUME_8P} partitions, {p['n_1k']} records in all")))

    # (broker key, settings, durability, topics, what runs on it)
    plan = [
        ("pagecache", pc_settings | sustained(parts, secs), pc_dur, [("bench-1k", parts)],
         ["produce_1k_acks1", "consume_1k_cold"],
         lambda b, m: consume_cold("consume_1k_cold", b, "bench-1k",
                                   bench.produce("produce_1k_acks1", b.bootstrap, "bench-1k", n_1k, 1024, "1",
                                                 b, m, duration=secs), p["n_1k"], m)),
        ("pagecache-100b", pc_settings | sustained(parts, secs), pc_dur, [("bench-100b", parts)],
         ["produce_100b_acks1", "consume_100b_cold"],
         lambda b, m: consume_cold("consume_100b_cold", b, "bench-100b",
                                   bench.produce("produce_100b_acks1", b.bootstrap, "bench-100b", n_100b, 100,
                                                 "1", b, m, duration=secs), p["n_100b"], m)),
        ("pagecache-read",
         read_settings | retention_settings(budget, parts + NULL_CONSUME_8P, 2 * p["n_1k"] * 1024), read_dur,
         [("bench-1k-read", parts), ("bench-1k-read-8p", NULL_CONSUME_8P)],
         ["consume_1k_pagecache", "consume_1k_pagecache_8p"], read_body),
        ("pagecache-latency", pc_settings, pc_dur, [("bench-lat-pc", parts)], ["e2e_latency_1k_pagecache"],
         lambda b, m: bench.latency("e2e_latency_1k_pagecache", b.bootstrap, "bench-lat-pc", b, m)),
        ("durable", d_settings | sustained(parts, fsync_secs), d_dur, [("bench-1k-all", parts)],
         ["produce_1k_acksall_fsync"],
         lambda b, m: bench.produce("produce_1k_acksall_fsync", b.bootstrap, "bench-1k-all", n_1k, 1024, "all",
                                    b, m, duration=fsync_secs)),
        ("durable-100b", d_settings | sustained(parts, fsync_secs), d_dur, [("bench-100b-all", parts)],
         ["produce_100b_acksall_fsync"],
         lambda b, m: bench.produce("produce_100b_acksall_fsync", b.bootstrap, "bench-100b-all", n_100b, 100,
                                    "all", b, m, duration=fsync_secs)),
        ("durable-latency", d_settings, d_dur, [("bench-lat", parts)], ["e2e_latency_1k"],
         lambda b, m: bench.latency("e2e_latency_1k", b.bootstrap, "bench-lat", b, m)),
    ]
    all_names = [n for *_, names, _ in plan for n in names]
    if not any(bench.wanted(n) for n in all_names + ["idle_rss"]):
        return
    if not os.path.exists(spate):
        for n in all_names:
            if bench.wanted(n):
                bench.scenarios[n] = {"ok": False, "error": f"no spate binary at {spate}"}
        return
    first = True
    for key, settings, dur, topics, names, body in plan:
        if not any(bench.wanted(n) for n in names) and not (first and bench.wanted("idle_rss")):
            continue
        b = Broker(key, spate, workdir, settings, topics)
        log(f"starting spate ({dur}) on {b.bootstrap} for {', '.join(names)}")
        if not b.start():
            log(f"broker failed: {b.error}")
            brokers_out[key] = b.stop()
            for n in names:
                if bench.wanted(n):
                    bench.scenarios[n] = {"ok": False, "error": f"broker did not start: {b.error}"}
            shutil.rmtree(b.data, ignore_errors=True)
            continue
        try:
            for topic, _ in topics:
                e = bench.wait_topic(b.bootstrap, topic)
                if e:
                    log(f"topic {topic}: {e}")
            if first:  # the idle RSS target: the first broker, settled, before any load
                time.sleep(1.0)
                b.idle_rss_kb = proc_status_kb(b.pid, "VmRSS")
                log(f"idle RSS {mb_from_kb(b.idle_rss_kb)} MB")
                first = False
            body(b, {"target": "spate", "durability": dur, "broker": key})
        finally:
            t = time.monotonic()
            deleted = retention_deleted_bytes(b)
            brokers_out[key] = b.stop()
            brokers_out[key]["durability"] = dur
            brokers_out[key]["stop_s"] = round(time.monotonic() - t, 2)
            if "log.retention.bytes" in settings:
                brokers_out[key]["retention_deleted_mb"] = round(deleted / 1e6, 1)
            shutil.rmtree(b.data, ignore_errors=True)


MANY_PRODUCERS_PARTITIONS, MANY_PRODUCERS_KEYS = 64, 100_000


def run_many_producers(bench: Bench, spate: str, workdir: str, out: dict) -> None:
    """Many producers: keyed 1 KiB records (100,000 keys), acks=1, to a 64-partition topic on a
    page-cache broker: one producer instance vs N (32) in one process, in rounds 1, N, N, 1 of
    `many_producers_s` each, so the machine's drift cancels out. Each round gets a fresh broker
    whose data directory is deleted after it: deleting drops the round's dirty pages, so every
    round starts with the same clean page cache (a broker kept across rounds hands the next round
    gigabytes of dirty pages, and below the background threshold the kernel only starts writing
    them back after dirty_expire_centisecs, 30 s; waiting for that cost 20-60 s per round).
    The figures are each side's mean over its two rounds; the target uses the steady state.
    Size retention only when a round could write more than the disk budget (not at 8 s)."""
    p = bench.args.profile
    n = int(p["many_producers"])
    names = {1: "produce_1k_acks1_keyed_1producer", n: f"produce_1k_acks1_keyed_{n}producers"}
    if not any(bench.wanted(x) for x in names.values()) or not os.path.exists(spate):
        return
    settings = ({"log.flush.interval.messages": str(INT64_MAX)}
                if spate_supports(spate, "log.flush.interval.messages") else {})
    # Retention only when a round could write more than the disk budget (not at the default 8 s).
    settings |= retention_settings(bench.args.disk_budget, MANY_PRODUCERS_PARTITIONS,
                                   p["many_producers_s"] * WRITE_RATE_BOUND)
    out["retention"] = {k: v for k, v in settings.items() if "retention" in k or "segment" in k}
    topic = "bench-keyed-64"
    rounds: dict[int, list[dict]] = {1: [], n: []}
    out["brokers"] = []
    for i, k in enumerate([1, n, n, 1]):
        if not bench.wanted(names[k]):
            continue
        b = Broker(f"many-producers-{i}", spate, workdir, settings, [(topic, MANY_PRODUCERS_PARTITIONS)])
        log(f"starting spate (many producers round {i}: {k}, page cache) on {b.bootstrap}")
        if not b.start():
            bench.scenarios[names[k]] = r = {"ok": False, "error": f"broker did not start: {b.error}", "round": i}
            rounds[k].append(r)
            out["brokers"].append(b.stop())
            continue
        try:
            bench.wait_topic(b.bootstrap, topic)
            meta = {"target": "spate", "durability": "page cache", "broker": b.name, "round": i,
                    "keys": MANY_PRODUCERS_KEYS, "dirty_mb_at_start": dirty_mb()}
            r = bench.produce(names[k], b.bootstrap, topic, SUSTAINED_COUNT, 1024, "1", b, meta,
                              keys=MANY_PRODUCERS_KEYS, duration=p["many_producers_s"], producers=k)
            if r:
                rounds[k].append(r)
        finally:
            out["brokers"].append(b.stop())
            shutil.rmtree(b.data, ignore_errors=True)

    def mean(rs: list[dict], key: str) -> float | None:
        v = [float(r[key]) for r in rs if r.get("ok") and r.get(key) is not None]
        return round(sum(v) / len(v), 3) if v and len(v) == len(rs) else None

    for k, rs in rounds.items():
        if not rs:
            continue
        last = bench.scenarios[names[k]]  # the last round's full result, plus every round's figures
        last["rounds"] = [{"round": r.get("round"), "ok": r.get("ok"), "mb_per_s": r.get("mb_per_s"),
                           "first_5s_mb_per_s": r.get("first_5s_mb_per_s"),
                           "steady_mb_per_s": r.get("steady_mb_per_s"),
                           "ack_p99_ms": (r.get("ack_ms") or {}).get("p99"),
                           "dirty_mb_at_start": r.get("dirty_mb_at_start")}
                          for r in rs]
        if not all(r.get("ok") for r in rs):
            last["ok"] = False
            last.setdefault("error", "a round failed")
        for key in ("mb_per_s", "first_5s_mb_per_s", "steady_mb_per_s", "msgs_per_s"):
            last[f"{key}_mean"] = mean(rs, key)
        p99s = [(r.get("ack_ms") or {}).get("p99") for r in rs]
        # The worse of the two rounds' ack p99 (p99s of separate runs do not average).
        last["ack_p99_ms"] = max(p99s) if p99s and all(x is not None for x in p99s) else None
        out[f"ack_p99_ms_{k}"] = last["ack_p99_ms"]
        out[f"steady_mb_per_s_{k}"] = last["steady_mb_per_s_mean"]
        out[f"first_5s_mb_per_s_{k}"] = last["first_5s_mb_per_s_mean"]
    s1, sn = out.get("steady_mb_per_s_1"), out.get(f"steady_mb_per_s_{n}")
    f1, fn = out.get("first_5s_mb_per_s_1"), out.get(f"first_5s_mb_per_s_{n}")
    out["producers"] = n
    out["ratio_steady"] = round(sn / s1, 4) if s1 and sn else None
    out["ratio_first_5s"] = round(fn / f1, 4) if f1 and fn else None
    log(f"many producers: {n} vs 1 steady {out['ratio_steady']}, first 5 s {out['ratio_first_5s']}; "
        f"ack p99 {out.get('ack_p99_ms_1')} / {out.get(f'ack_p99_ms_{n}')} ms")


SOAK_PARTITIONS = 8


def run_soak(bench: Bench, spate: str, workdir: str, out: dict) -> None:
    """--soak: a fresh durable broker (spate's defaults: fsync before ack), 1 KiB records, acks=all.
    First a short run at full speed (soak_max_s) measures the maximum; then, on another topic
    (8 partitions), a producer paced at half that steady rate for soak_minutes while a consumer
    group member reads it. Reports throughput per minute, ack p99 of the first and the last window
    (5 minutes; a quarter of a soak shorter than 20 minutes), the broker's RSS every 10 s and its
    growth from the end of the first window to the end, and every error. The broker has size
    retention within the disk budget (retention_settings), which deletes the oldest segments as the
    soak goes."""
    if not (bench.args.soak or (bench.only and "soak" in bench.only)):  # never part of the default profile
        return
    p = bench.args.profile
    total_s = float(p["soak_minutes"]) * 60
    window_s = min(300.0, total_s / 4)
    out.update({"ran": True, "ok": False, "minutes": p["soak_minutes"], "window_s": window_s,
                "partitions": SOAK_PARTITIONS, "size": 1024, "acks": "all"})
    if not os.path.exists(spate):
        out["error"] = f"no spate binary at {spate}"
        return
    topics = [("bench-soak-max", SOAK_PARTITIONS), ("bench-soak", SOAK_PARTITIONS)]
    # Half the maximum for 30 minutes writes hundreds of GB: size retention keeps the broker's logs
    # within the disk budget, deleting the oldest segments as it goes (the consumer must stay within
    # a partition's retention of the producer: consumer_lag_tolerance_s below).
    settings = retention_settings(bench.args.disk_budget, sum(n for _, n in topics),
                                  (p["soak_max_s"] + total_s) * WRITE_RATE_BOUND)
    out["retention"] = settings
    b = Broker("soak", spate, workdir, settings, topics)
    log(f"soak: starting spate (defaults: fsync before ack) on {b.bootstrap}")
    if not b.start():
        out["error"] = f"broker did not start: {b.error}"
        out["broker"] = b.stop()
        return
    try:
        for t, _ in topics:
            bench.wait_topic(b.bootstrap, t)
        meta = {"target": "spate", "durability": "fsync before ack (defaults)", "broker": "soak"}
        mx = bench.produce("soak_max", b.bootstrap, "bench-soak-max", SUSTAINED_COUNT, 1024, "all", b, meta,
                           duration=p["soak_max_s"], force=True)
        if not mx or not mx.get("ok") or not mx.get("steady_msgs_per_s"):
            out["error"] = f"the maximum-rate run failed: {(mx or {}).get('error')}"
            return
        rate = round(float(mx["steady_msgs_per_s"]) / 2, 1)
        out["max_msgs_per_s"] = mx["steady_msgs_per_s"]
        out["max_mb_per_s"] = mx["steady_mb_per_s"]
        out["rate_msgs_per_s"] = rate
        if "log.retention.bytes" in settings:  # how far behind the consumer may fall before data is deleted
            out["consumer_lag_tolerance_s"] = round(int(settings["log.retention.bytes"]) * SOAK_PARTITIONS
                                                    / (rate * 1024), 1)
        cons_cmd = [bench.load, "consume", "-b", b.bootstrap, "-t", "bench-soak", "--label", "soak_consume",
                    "--group", "bench-soak", "-n", str(SUSTAINED_COUNT), "--duration-s", str(total_s + 300),
                    "--idle-stop-s", "15", "--timeout-s", str(total_s + 330), "--stall-s", str(total_s + 330)]
        prod_cmd = [bench.load, "produce", "-b", b.bootstrap, "-t", "bench-soak", "--label", "soak_produce",
                    "-n", str(SUSTAINED_COUNT), "-s", "1024", "--acks", "all", "--linger-ms", "5",
                    "--max-rate", str(rate), "--duration-s", str(total_s), "--timeout-s", str(total_s + 60),
                    "--stall-s", "60", "--ack-window-s", str(window_s)]
        out["consumer_command"], out["producer_command"] = " ".join(cons_cmd), " ".join(prod_cmd)
        log(f"soak: {p['soak_minutes']} min at {rate} msgs/s (half of {mx['steady_msgs_per_s']}), "
            f"acks=all, consumer group bench-soak")
        files = {k: tempfile.TemporaryFile("w+") for k in ("co", "ce", "po", "pe")}
        try:
            cons = CHILDREN.add(subprocess.Popen(cons_cmd, stdin=subprocess.DEVNULL, stdout=files["co"],
                                                 stderr=files["ce"], text=True))
            prod = CHILDREN.add(subprocess.Popen(prod_cmd, stdin=subprocess.DEVNULL, stdout=files["po"],
                                                 stderr=files["pe"], text=True))
            t0 = time.monotonic()
            cpu0 = b.cpu_s()
            rss: list[tuple[float, float]] = []
            next_log = 60.0
            every = min(10.0, window_s / 5)  # RSS samples: at least 5 per window
            while prod.poll() is None and time.monotonic() - t0 < total_s + 120:
                try:
                    prod.wait(timeout=every)
                except subprocess.TimeoutExpired:
                    pass
                kb = proc_status_kb(b.pid, "VmRSS") if b.alive() else None
                if kb is not None and prod.poll() is None:
                    rss.append((round(time.monotonic() - t0, 1), mb_from_kb(kb)))
                if time.monotonic() - t0 >= next_log:
                    log(f"soak: {next_log / 60:.0f} min, broker RSS {rss[-1][1] if rss else None} MB")
                    next_log += 60
            if prod.poll() is None:
                CHILDREN.stop(prod)
            try:  # it stops 15 s after the last message (caught up), at most 300 s after the start
                cons.wait(timeout=max(60.0, total_s + 330 - (time.monotonic() - t0)))
            except subprocess.TimeoutExpired:
                CHILDREN.stop(cons)
            cpu1 = b.cpu_s()

            def result(o: str, e: str, proc: subprocess.Popen) -> dict:
                files[o].seek(0)
                files[e].seek(0)
                text = files[o].read()
                try:
                    return json.loads(text.strip().splitlines()[-1])
                except (ValueError, IndexError):
                    return {"ok": False, "error": f"exit {proc.returncode} without JSON: {tail(files[e].read())}"}

            pr, cr = result("po", "pe", prod), result("co", "ce", cons)
        finally:
            for f in files.values():
                f.close()
        pr.pop("per_second_msgs", None)
        bench.scenarios["soak_produce"] = dict(pr, **meta)
        bench.scenarios["soak_consume"] = dict(cr, **meta)

        def per_minute(per_s: list[float]) -> list[float]:  # complete minutes only, MB/s
            return [round(sum(per_s[i:i + 60]) / 60, 3) for i in range(0, len(per_s) - 59, 60)]

        out["produce_mb_per_s_per_minute"] = per_minute(pr.get("per_second_mb") or [])
        out["consume_mb_per_s_per_minute"] = per_minute(cr.get("per_second_mb") or [])
        out["produce_steady_mb_per_s"] = pr.get("steady_mb_per_s")
        out["delivered"], out["consumed"] = pr.get("delivered"), cr.get("consumed")
        out["consumer_behind_at_end"] = ((pr.get("delivered") or 0) - (cr.get("consumed") or 0)
                                         if pr.get("ok") and cr.get("ok") else None)
        wins = [w for w in pr.get("ack_ms_windows") or [] if w["to_s"] - w["from_s"] >= window_s - 1]
        if wins:
            out["ack_p99_ms_first"] = wins[0]["p99"]
            out["ack_p99_ms_last"] = wins[-1]["p99"]
            out["ack_windows"] = wins
            if wins[0]["p99"]:
                out["soak_ack_p99_last_vs_first"] = round(wins[-1]["p99"] / wins[0]["p99"], 3)
        out["ack_ms"] = pr.get("ack_ms")
        out["broker_rss_mb"] = rss
        # Growth: the median RSS sample of the last window over that of the first (a single sample
        # swings by 10-20 % with the buffers in flight).
        first_w = sorted(m for t, m in rss if t <= window_s)
        last_w = sorted(m for t, m in rss if t >= total_s - window_s)
        if first_w and last_w:
            base, end = first_w[len(first_w) // 2], last_w[len(last_w) // 2]
            out["rss_mb_first_window_median"], out["rss_mb_last_window_median"] = base, end
            out["soak_rss_growth_pct"] = round((end / base - 1) * 100, 2)
        errors = ((pr.get("failed") or 0) + (pr.get("undelivered") or 0) + (cr.get("errors") or 0)
                  + (0 if pr.get("ok") else 1) + (0 if cr.get("ok") else 1) + (0 if b.alive() else 1))
        out["soak_errors"] = errors
        out["errors_detail"] = {"delivery_failed": pr.get("failed"), "undelivered": pr.get("undelivered"),
                                "consumer_errors": cr.get("errors"), "producer_ok": pr.get("ok"),
                                "consumer_ok": cr.get("ok"), "producer_error": pr.get("error"),
                                "consumer_error": cr.get("error"), "broker_alive": b.alive()}
        if cpu0 is not None and cpu1 is not None:
            out["broker_cpu_s"] = round(cpu1 - cpu0, 2)
            gb = ((pr.get("bytes") or 0) + (cr.get("bytes") or 0)) / 1e9
            out["broker_cpu_s_per_gb"] = round((cpu1 - cpu0) / gb, 3) if gb else None  # produced + consumed
        out["retention_deleted_mb"] = round(retention_deleted_bytes(b) / 1e6, 1)
        out["ok"] = bool(pr.get("ok") and cr.get("ok"))
        log(f"soak: ack p99 first {out.get('ack_p99_ms_first')} ms, last {out.get('ack_p99_ms_last')} ms; "
            f"RSS growth {out.get('soak_rss_growth_pct')} %; errors {errors}")
    finally:
        out["broker"] = b.stop()
        shutil.rmtree(b.data, ignore_errors=True)


def run_onoff_pair(bench: Bench, spate: str, workdir: str, out: dict, what: str, setting: str,
                   prepare=None, report=None, settings: dict[str, str] | None = None, keys: int = 0,
                   before_start=None) -> None:
    """The cost of a feature: produce throughput (100-byte records, acks=1, page cache: the most
    requests per byte) against two brokers started side by side, one with `setting`=false, in
    alternating rounds (on, off, off, on) so drift in the machine's speed cancels out. `prepare(b)`
    runs on both brokers before the rounds; `report(on_broker, out)` after them. `out` gets each
    side's throughput and the on/off ratio. `settings` are added to both brokers'; `keys` > 0 keys
    the records (k0..k<keys-1>); `before_start(b)` runs on both brokers before they start (files
    in their data directories)."""
    a, p = bench.args, bench.args.profile
    names = [f"produce_100b_acks1_{what}_on", f"produce_100b_acks1_{what}_off"]
    if not any(bench.wanted(n) for n in names) or not os.path.exists(spate):
        return
    if not spate_supports(spate, setting):
        out["error"] = f"binary has no {setting}"
        return
    pc = {"log.flush.interval.messages": str(INT64_MAX)} | (settings or {})
    topics = [(f"bench-{what}0", a.partitions), (f"bench-{what}1", a.partitions)]
    sides = {"on": Broker(f"{what}-on", spate, workdir, pc, topics),
             "off": Broker(f"{what}-off", spate, workdir, pc | {setting: "false"}, topics)}
    try:
        for side, b in sides.items():
            log(f"starting spate ({what} {side}) on {b.bootstrap}")
            if before_start:
                before_start(b)
            if not b.start():
                out["error"] = f"{what}-{side} broker did not start: {b.error}"
                return
            for t, _ in topics:
                bench.wait_topic(b.bootstrap, t)
            if prepare:
                prepare(b)
        rounds: dict[str, list[dict]] = {"on": [], "off": []}
        for i, side in enumerate(["on", "off", "off", "on"]):
            meta = {"target": "spate", "durability": "page cache", what: side, "round": i}
            topic = topics[0][0] if len(rounds[side]) == 0 else topics[1][0]
            r = bench.produce(f"produce_100b_acks1_{what}_{side}", sides[side].bootstrap, topic, p["n_100b"], 100,
                              "1", sides[side], meta, keys)
            if r:
                rounds[side].append(r)
        msgs = {side: [r.get("msgs_per_s") for r in rs if r.get("ok")] for side, rs in rounds.items()}
        mean = {side: (sum(v) / len(v) if v and len(v) == 2 else None) for side, v in msgs.items()}
        out["msgs_per_s_on"] = [round(x, 1) for x in msgs["on"]]
        out["msgs_per_s_off"] = [round(x, 1) for x in msgs["off"]]
        out["ratio_on_vs_off"] = round(mean["on"] / mean["off"], 4) if mean["on"] and mean["off"] else None
        log(f"{what} on/off produce throughput ratio: {out['ratio_on_vs_off']}")
        if report:
            report(sides["on"], out)
    finally:
        for side, b in sides.items():
            out[f"broker_{side}"] = b.stop()


def run_metrics_pair(bench: Bench, spate: str, workdir: str, out: dict) -> None:
    """The cost of recording metrics (metrics.enabled on vs off)."""
    run_onoff_pair(bench, spate, workdir, out, "metrics", "metrics.enabled")


ACL_COUNT = 10_000


def write_acls(b: Broker) -> None:
    """<data>/acls.json with ACL_COUNT bindings (docs/security-files.md): the load tool's principal
    (User:ANONYMOUS on the PLAINTEXT listener) may do everything on the benchmark topics through a
    PREFIXED ACL and produce idempotently, among 9,997 literal ACLs of other users on other topics,
    so that every check searches a large index."""
    def acl(rtype: str, name: str, pattern: str, principal: str, op: str) -> dict:
        return {"resource_type": rtype, "resource_name": name, "pattern_type": pattern, "principal": principal,
                "host": "*", "operation": op, "permission": "ALLOW"}
    acls = [acl("TOPIC", "bench-", "PREFIXED", "User:ANONYMOUS", "ALL"),
            acl("CLUSTER", "kafka-cluster", "LITERAL", "User:ANONYMOUS", "IDEMPOTENT_WRITE"),
            acl("CLUSTER", "kafka-cluster", "LITERAL", "User:ANONYMOUS", "CREATE")]
    ops = ["READ", "WRITE", "DESCRIBE"]
    acls += [acl("TOPIC", f"other-{i // 3}", "LITERAL", f"User:u{i % 97}", ops[i % 3])
             for i in range(ACL_COUNT - len(acls))]
    acls.sort(key=lambda a: json.dumps(a, sort_keys=True))
    os.makedirs(b.data, exist_ok=True)
    with open(os.path.join(b.data, "acls.json"), "w") as f:
        json.dump({"version": 1, "acls": acls}, f)


def run_acl_pair(bench: Bench, spate: str, workdir: str, out: dict) -> None:
    """The cost of authorization: a broker checking every request against 10,000 ACLs
    (authorizer.enabled) against one with no authorizer, same records and settings."""
    def report(_b: Broker, o: dict) -> None:
        o["acls"] = ACL_COUNT

    run_onoff_pair(bench, spate, workdir, out, "acls", "authorizer.enabled", None, report,
                   settings={"authorizer.enabled": "true"}, before_start=write_acls)


def make_tls_files(workdir: str) -> dict[str, str] | None:
    """A CA and a broker certificate it signs for 127.0.0.1 (openssl CLI, RSA 2048 as most
    deployments use), or None when openssl fails."""
    d = os.path.join(workdir, "tls")
    os.makedirs(d, exist_ok=True)
    f = {k: os.path.join(d, v) for k, v in (("ca", "ca.pem"), ("ca_key", "ca.key"), ("cert", "broker.pem"),
                                              ("key", "broker.key"), ("csr", "broker.csr"), ("ext", "san.cnf"))}
    with open(f["ext"], "w") as e:
        e.write("subjectAltName=IP:127.0.0.1\n")
    steps = [["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=bench-ca",
              "-keyout", f["ca_key"], "-out", f["ca"]],
             ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", f["key"],
              "-out", f["csr"]],
             ["openssl", "x509", "-req", "-in", f["csr"], "-CA", f["ca"], "-CAkey", f["ca_key"], "-CAcreateserial",
              "-days", "2", "-out", f["cert"], "-extfile", f["ext"]]]
    for cmd in steps:
        rc, _, err = run(cmd, timeout=60)
        if rc != 0:
            log(f"tls: {' '.join(cmd[:2])} failed: {tail(err)}")
            return None
    return f


def run_tls_pair(bench: Bench, spate: str, workdir: str, out: dict) -> None:
    """The cost of TLS: one page-cache broker with a PLAINTEXT and an SSL listener; 1 KiB records
    produced (acks=1) and then consumed over each, in alternating rounds (plain, tls, tls, plain) so
    drift in the machine's speed cancels out. `out` gets each side's MB/s and the tls/plain ratios."""
    a, p = bench.args, bench.args.profile
    names = ["produce_1k_acks1_tls", "produce_1k_acks1_plain", "consume_1k_tls", "consume_1k_plain"]
    if not any(bench.wanted(n) for n in names) or not os.path.exists(spate):
        return
    if not spate_supports(spate, "ssl.certificate.location"):
        out["error"] = "binary has no ssl.certificate.location"
        return
    files = make_tls_files(workdir)
    if not files:
        out["error"] = "could not make certificates with openssl"
        return
    topics = [(f"bench-tls{i}", a.partitions) for i in range(4)]
    b = Broker("tls", spate, workdir, {"log.flush.interval.messages": str(INT64_MAX),
                                       "ssl.certificate.location": files["cert"],
                                       "ssl.key.location": files["key"]}, topics)
    tls_port = free_port()
    tls_bootstrap = f"127.0.0.1:{tls_port}"
    b.cmd[b.cmd.index("--listen") + 1] = f"PLAINTEXT://{b.bootstrap},SSL://{tls_bootstrap}"
    client = {"tls": ["-X", "security.protocol=SSL", "-X", f"ssl.ca.location={files['ca']}"], "plain": []}
    bootstrap = {"tls": tls_bootstrap, "plain": b.bootstrap}
    try:
        log(f"starting spate (plaintext {b.bootstrap}, TLS {tls_bootstrap})")
        if not b.start():
            out["error"] = f"tls broker did not start: {b.error}"
            return
        for t, _ in topics:
            bench.wait_topic(b.bootstrap, t)
        rounds: dict[str, list[tuple[dict, dict | None]]] = {"tls": [], "plain": []}
        for i, side in enumerate(["plain", "tls", "tls", "plain"]):
            meta = {"target": "spate", "durability": "page cache", "transport": side, "round": i}
            topic = topics[i][0]
            r = bench.produce(f"produce_1k_acks1_{side}", bootstrap[side], topic, p["n_1k"], 1024, "1", b, meta,
                              client=client[side], force=True)
            c = bench.consume(f"consume_1k_{side}", bootstrap[side], topic, min(delivered(r), p["n_1k"]), b, meta,
                              client=client[side]) if r and r.get("ok") else None
            rounds[side].append((r or {}, c))

        def mean(side: str, which: int) -> float | None:
            v = [x[which].get("mb_per_s") for x in rounds[side] if x[which] and x[which].get("ok")]
            return sum(v) / len(v) if len(v) == 2 else None

        for kind, which in (("produce", 0), ("consume", 1)):
            tls, plain = mean("tls", which), mean("plain", which)
            out[f"{kind}_mb_per_s_tls"] = round(tls, 1) if tls else None
            out[f"{kind}_mb_per_s_plain"] = round(plain, 1) if plain else None
            out[f"{kind}_ratio_tls_vs_plain"] = round(tls / plain, 4) if tls and plain else None
            log(f"tls/plaintext {kind} throughput ratio: {out[f'{kind}_ratio_tls_vs_plain']}")
    finally:
        out["broker"] = b.stop()


LAG_GROUPS, LAG_PARTITIONS = 1000, 10


def commit_lag_groups(b: Broker) -> None:
    """1,000 groups with committed offsets on 10 partitions each, all behind the end, so every tick
    samples and evaluates 10,000 lagging partitions (the issue's lag scenario)."""
    from confluent_kafka import Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    for f in admin.create_topics([NewTopic("bench-lag-watched", LAG_PARTITIONS, 1)]).values():
        f.result(30)
    producer = Producer({"bootstrap.servers": b.bootstrap, "linger.ms": 5})
    for i in range(LAG_PARTITIONS * 100):
        producer.produce("bench-lag-watched", value=b"x" * 100, partition=i % LAG_PARTITIONS)
    producer.flush(30)
    for g in range(LAG_GROUPS):
        c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": f"bench-lag-{g}", "enable.auto.commit": False})
        c.commit(offsets=[TopicPartition("bench-lag-watched", q, g % 100) for q in range(LAG_PARTITIONS)],
                 asynchronous=False)
        c.close()


def admin_metrics(b: Broker) -> dict[str, float]:
    """The broker's /metrics as {"name{labels}": value} (from the admin address in its ready line)."""
    import re
    import urllib.request
    m = re.search(r" admin=(\S+:\d+)", b.read_log())
    if not m:
        return {}
    with urllib.request.urlopen(f"http://{m.group(1)}/metrics", timeout=10) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            out[key] = float(value)
    return out


def run_lag_pair(bench: Bench, spate: str, workdir: str, out: dict) -> None:
    """The lag monitor's cost with 1,000 groups x 10 partitions at the default interval: produce
    throughput with the monitor on vs off, the CPU of one tick and the broker's memory with it.
    The history's growth per hour is lag_store_10k_partitions' figure (a few ticks here are too
    few to extrapolate from)."""

    def report(b: Broker, o: dict) -> None:
        key = 'spate_lag_tick_cpu_seconds{cluster_name="local"}'
        deadline = time.monotonic() + 30
        metrics: dict[str, float] = {}
        while time.monotonic() < deadline:  # the first tick after the groups were committed
            metrics = admin_metrics(b)
            if metrics.get(key, 0) > 0:
                break
            time.sleep(1)
        o["groups"], o["partitions_per_group"] = LAG_GROUPS, LAG_PARTITIONS
        o["tick_cpu_ms"] = round(metrics.get(key, 0) * 1000, 2)
        o["history_bytes"] = metrics.get('spate_lag_history_bytes{cluster_name="local"}')

    run_onoff_pair(bench, spate, workdir, out, "lag", "lag.enabled", commit_lag_groups, report)


def cleanings_in_log(text: str) -> list[dict[str, int]]:
    """The figures of every event=log_cleaned line of a broker log."""
    found = []
    for line in text.splitlines():
        if "event=log_cleaned" not in line:
            continue
        fields = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
        try:
            found.append({k: int(fields[k]) for k in ("bytes_read", "bytes_written", "records_removed", "duration_ms")})
        except (KeyError, ValueError):
            continue
    return found


def run_cleaner_pair(bench: Bench, spate: str, workdir: str, out: dict) -> None:
    """Compaction: produce throughput to compacted topics (100-byte records over 100,000 keys,
    16 MiB segments) with the log cleaner on vs off, and the cleaner's own throughput (MB/s of
    segments read, from its log lines), to be read next to the disk's write bandwidth (fio)."""

    def report(b: Broker, o: dict) -> None:
        deadline = time.monotonic() + 60
        found: list[dict[str, int]] = []
        while time.monotonic() < deadline:  # cleanings of the segments the rounds closed
            found = cleanings_in_log(b.read_log())
            if found:
                break
            time.sleep(1)
        time.sleep(3)  # let a cleaning in progress finish: more figures, not synchronisation
        found = cleanings_in_log(b.read_log())
        read = sum(c["bytes_read"] for c in found)
        ms = sum(c["duration_ms"] for c in found)
        o["cleanings"] = len(found)
        o["cleaned_mb"] = round(read / 1e6, 1)
        o["written_mb"] = round(sum(c["bytes_written"] for c in found) / 1e6, 1)
        o["cleaning_mb_per_s"] = round(read / 1e6 / (ms / 1000), 1) if ms > 0 else None
        log(f"cleaner: {o['cleanings']} cleanings, {o['cleaned_mb']} MB read at {o['cleaning_mb_per_s']} MB/s")

    run_onoff_pair(bench, spate, workdir, out, "cleaner", "log.cleaner.enable", None, report,
                   {"log.cleanup.policy": "compact", "log.segment.bytes": str(16 << 20),
                    "log.cleaner.backoff.ms": "500"}, keys=100000)


def run_quota_pair(bench: Bench, spate: str, workdir: str, out: dict) -> None:
    """The disk quota's accounting on the produce path (one admission per request, one counter add
    per appended batch): produce throughput with the quota on vs off. Both brokers stay in the
    normal state (the bench's filesystem is far from full), so this is the cost of accounting alone."""
    run_onoff_pair(bench, spate, workdir, out, "quota", "disk.quota.enable")


REPLAY_PARTITIONS = 10


def commit_many_offsets(bootstrap: str, groups: int, commits: int) -> int:
    """`groups` simple consumers (no subscription) each commit offsets of 10 partitions `commits`
    times, asynchronously: groups x commits x 10 offset records. Returns how many were committed."""
    from confluent_kafka import Consumer, TopicPartition
    done = 0
    for g in range(groups):
        acked = []
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"replay-{g:04d}", "enable.auto.commit": False,
                      "on_commit": lambda err, parts: acked.append(0 if err else len(parts))})
        try:
            for i in range(commits):
                c.commit(offsets=[TopicPartition("bench-replay", p, i + 1) for p in range(REPLAY_PARTITIONS)],
                         asynchronous=True)
            deadline = time.monotonic() + 60
            while len(acked) < commits and time.monotonic() < deadline:
                c.poll(0.05)  # serves the commit callbacks
        finally:
            c.close()
        done += sum(acked)
    return done


def offsets_topic_bytes(data_dir: str) -> int:
    total = 0
    for d in os.listdir(data_dir):
        if d.startswith("__consumer_offsets-"):
            total += sum(os.path.getsize(os.path.join(data_dir, d, f))
                         for f in os.listdir(os.path.join(data_dir, d)) if f.endswith(".log"))
    return total


def run_offsets_replay(bench: Bench, spate: str, workdir: str, out: dict) -> None:
    """Start-up time after many offset commits of the same groups (1,000 groups x 100 commits x 10
    partitions = 1,000,000 offset records by default), before and after the cleaner compacted
    __consumer_offsets. Its segments are 128 KiB here: Kafka's default, 100 MiB, would keep all of
    this (~1.5 MB per partition) in the active segments, which no cleaner touches."""
    name = "offsets_replay"
    if not bench.wanted(name) or not spate_supports(spate, "log.cleaner.enable"):
        return
    p = bench.args.profile
    base = {"offsets.topic.segment.bytes": str(128 << 10), "log.cleaner.backoff.ms": "500"}
    topics = [("bench-replay", REPLAY_PARTITIONS)]

    def start(settings: dict[str, str]) -> Broker | None:
        b = Broker(name, spate, workdir, base | settings, topics)
        if not b.start(timeout=600):
            out["error"] = b.error
            b.stop()
            return None
        return b

    b = start({"log.cleaner.enable": "false"})
    if not b:
        return
    t = time.monotonic()
    out["offset_records"] = commit_many_offsets(b.bootstrap, p["replay_groups"], p["replay_commits"])
    out["commit_s"] = round(time.monotonic() - t, 1)
    out["groups"] = p["replay_groups"]
    b.stop()
    out["offsets_bytes_before"] = offsets_topic_bytes(b.data)
    b = start({"log.cleaner.enable": "false"})
    if not b:
        return
    out["startup_s_before"] = round(b.start_s or 0, 3)
    b.stop()
    b = start({})
    if not b:
        return
    deadline = time.monotonic() + 300
    seen = -1
    while time.monotonic() < deadline:  # until several backoffs pass without a new cleaning
        n = len(cleanings_in_log(b.read_log()))
        if n == seen:
            break
        seen = n
        time.sleep(3)
    out["cleanings"] = seen
    b.stop()
    out["offsets_bytes_after"] = offsets_topic_bytes(b.data)
    b = start({})
    if not b:
        return
    out["startup_s_after"] = round(b.start_s or 0, 3)
    b.stop()
    out["ok"] = True
    log(f"{name}: {out['offset_records']} offset records; start-up {out['startup_s_before']} s before, "
        f"{out['startup_s_after']} s after compaction ({out['offsets_bytes_before']} -> {out['offsets_bytes_after']} bytes)")


def metadata_all_topics_ms(bootstrap: str) -> float:
    """One Metadata v1 request for all topics (a null topic array) on a raw socket, timed from the
    request's send to the whole response read: the broker's cost, not a client library's."""
    host, port = bootstrap.rsplit(":", 1)
    client_id = b"spate-bench"
    body = struct.pack(">hhih", 3, 1, 7, len(client_id)) + client_id + struct.pack(">i", -1)
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        t = time.monotonic()
        sock.sendall(struct.pack(">i", len(body)) + body)

        def read(n: int) -> bytes:
            got = bytearray()
            while len(got) < n:
                chunk = sock.recv(n - len(got))
                if not chunk:
                    raise OSError("connection closed mid-response")
                got += chunk
            return bytes(got)

        size = struct.unpack(">i", read(4))[0]
        read(size)
        return (time.monotonic() - t) * 1000


def run_many_partitions(bench: Bench, spate: str, workdir: str) -> None:
    """10,000 partitions on one broker (the issue's many-partitions case): created, then the broker
    restarted; start-up to ready, open descriptors per partition and RSS when idle, and the time a
    Metadata request for all of them takes."""
    name = "many_partitions"
    if not bench.wanted(name):
        return
    count = bench.args.profile["many_partitions"]
    topics = [(f"bench-many-{i}", 1000) for i in range(count // 1000)] or [("bench-many-0", count)]
    res: dict = {"ok": False, "partitions_created": sum(p for _, p in topics)}
    bench.scenarios[name] = res
    # The descriptors of a broker without user topics: what the partitions add is the difference.
    base = Broker(f"{name}-baseline", spate, workdir, {}, [])
    if not base.start():
        res["error"] = base.error
        base.stop()
        return
    time.sleep(1.0)
    res["baseline_fds"] = len(os.listdir(f"/proc/{base.pid}/fd"))
    base.stop()
    b = Broker(name, spate, workdir, {}, topics)
    if not b.start(timeout=300):
        res["error"] = b.error
        b.stop()
        return
    res["create_startup_s"] = round(b.start_s or 0, 3)
    b.stop()
    b = Broker(name, spate, workdir, {}, [])  # the same data directory
    if not b.start(timeout=300):
        res["error"] = b.error
        b.stop()
        return
    try:
        loaded = re.search(r"event=log_manager_loaded .*?partitions=(\d+)", b.read_log())
        partitions = int(loaded.group(1)) if loaded else res["partitions_created"]
        time.sleep(1.0)  # idle: the start-up's transient descriptors are closed
        fds = len(os.listdir(f"/proc/{b.pid}/fd"))
        times = sorted(metadata_all_topics_ms(b.bootstrap) for _ in range(5))
        res.update({
            "ok": True, "partitions": partitions, "open_fds": fds,
            "fds_per_partition": round((fds - res["baseline_fds"]) / res["partitions_created"], 3),
            "startup_s": round(b.start_s or 0, 3),
            "idle_rss_mb": mb_from_kb(proc_status_kb(b.pid, "VmRSS")),
            "metadata_ms_median": round(times[2], 2), "metadata_ms_max": round(times[-1], 2),
        })
        log(f"{name}: {partitions} partitions, {fds} descriptors, start-up {res['startup_s']} s, "
            f"RSS {res['idle_rss_mb']} MB, Metadata {res['metadata_ms_median']} ms")
    except (OSError, ValueError) as e:
        res["error"] = str(e)
    finally:
        b.stop()


def many_partitions_values(r: dict | None) -> dict:
    ok = bool(r and r.get("ok"))
    return {
        "many_partitions_fds_per_partition": r["fds_per_partition"] if ok else None,
        "many_partitions_startup_s": r["startup_s"] if ok else None,
        "many_partitions_idle_rss_mb": r["idle_rss_mb"] if ok else None,
        "many_partitions_metadata_ms": r["metadata_ms_median"] if ok else None,
    }


def run_lag_store(bench: Bench, tools_dir: str, workdir: str) -> None:
    """The lag history store (bench/lag_store_bench.cc): record() per tick for 10,000 partitions
    (1,000 groups x 10, 20% active) and the database growth per hour; 15 simulated minutes
    (3 quick), a few seconds. Only when the tools are built with the top level (it links spate_lag)."""
    name = "lag_store_10k_partitions"
    binary = os.path.join(tools_dir, "lag_store_bench")
    if not bench.wanted(name) or not os.path.exists(binary):
        return
    hours = "0.05" if bench.args.quick else "0.25"
    cmd = [binary, "--groups", "1000", "--partitions", "10", "--active", "0.2", "--hours", hours, "--dir", workdir]
    log(f"{name}: {hours} h of 10 s ticks")
    rc, out, err = run(cmd, timeout=120)
    try:
        res = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        res = {"ok": False, "error": f"lag_store_bench exited {rc} without JSON: {tail(err)}"}
    res["command"] = " ".join(cmd)
    bench.scenarios[name] = res


def start_printing_peer(bench: Bench, what: str, cmd: list[str], names: list[str],
                        stderr) -> tuple[subprocess.Popen | None, str]:
    """Starts a peer broker (mock_cluster, null_broker) that prints its bootstrap address on its
    first line; on failure marks the wanted `names` failed and returns (process or None, "")."""
    try:
        proc = CHILDREN.add(subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                             stderr=stderr, text=True))
    except OSError as e:
        for n in names:
            if bench.wanted(n):
                bench.scenarios[n] = {"ok": False, "error": f"{what}: {e}"}
        return None, ""
    import select
    ready, _, _ = select.select([proc.stdout], [], [], 15)
    line = proc.stdout.readline().strip() if ready else ""
    if not line:
        for n in names:
            if bench.wanted(n):
                bench.scenarios[n] = {"ok": False, "error": f"{what} printed no bootstrap address"}
    return proc, line


def run_mock(bench: Bench, mock: str, out: dict) -> None:
    names = ["mock_produce_1k_acks1", "mock_produce_100b_acks1", "mock_consume_1k", "mock_e2e_latency_1k"]
    if not any(bench.wanted(n) for n in names):
        return
    p, parts = bench.args.profile, bench.args.partitions
    cmd = [mock, "--topic", f"bench-1k:{parts}", "--topic", f"bench-100b:{parts}",
           "--topic", f"bench-consume-1k:{MOCK_CONSUME_PARTITIONS}", "--topic", f"bench-lat:{parts}",
           "--max-seconds", "1800"]
    log("starting librdkafka mock cluster")
    proc, line = start_printing_peer(bench, "mock_cluster", cmd, names, subprocess.DEVNULL)
    if proc is None:
        return
    try:
        if not line:
            return
        out["bootstrap"] = line
        cpu = ProcessCpu(proc)  # the mock cluster's process: its CPU is the "broker" CPU
        meta = {"target": "mock", "durability": "memory (librdkafka mock cluster)"}
        bench.produce("mock_produce_1k_acks1", line, "bench-1k", p["n_1k"], 1024, "1", cpu, meta)
        bench.produce("mock_produce_100b_acks1", line, "bench-100b", p["n_100b"], 100, "1", cpu, meta)
        if bench.wanted("mock_consume_1k"):
            # The mock retains only ~5 MB per partition, so the consume test reads a 64-partition
            # topic filled for the purpose, up to the end of every partition.
            prep = bench.load_run("mock_consume_1k_fill", "produce", line, "bench-consume-1k",
                                  ["-n", str(p["mock_consume_prep"]), "-s", "1024", "--acks", "1",
                                   "--timeout-s", "60"], 60, None, meta)
            bench.scenarios.pop("mock_consume_1k_fill", None)
            cmeta = dict(meta, partitions_note=f"{MOCK_CONSUME_PARTITIONS} partitions; the mock keeps ~5 MB each")
            bench.consume("mock_consume_1k", line, "bench-consume-1k", max(1, delivered(prep)), cpu, cmeta,
                          allow_short=True)
        bench.latency("mock_e2e_latency_1k", line, "bench-lat", cpu, meta)
    finally:
        CHILDREN.stop(proc)


class ProcessCpu:
    """A process we started, for load_run's broker CPU accounting (it only calls cpu_s())."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc

    def cpu_s(self) -> float | None:
        return proc_cpu_s(self.proc.pid) if self.proc.poll() is None else None


NULL_CONSUME_8P = 8


def run_null(bench: Bench, null: str, out: dict) -> None:
    """The load tool's ceiling: the spate scenarios' loads against bench/null_broker, which answers
    from memory and stores nothing (produce advances a counter; fetch serves a pre-built ~1 MB batch
    of 1 KiB records, each partition pre-filled with n_1k records)."""
    names = ["null_produce_1k_acks1", "null_produce_100b_acks1", "null_consume_1k", "null_consume_1k_8p"]
    if not any(bench.wanted(n) for n in names):
        return
    if not os.path.exists(null):
        for n in names:
            if bench.wanted(n):
                bench.scenarios[n] = {"ok": False, "error": f"no {null} (built only with the top-level build)"}
        return
    p, parts = bench.args.profile, bench.args.partitions
    cmd = [null, "--topic", f"bench-1k:{parts}", "--topic", f"bench-100b:{parts}",
           "--topic", f"bench-consume-1k:{parts}", "--topic", f"bench-consume-1k-8p:{NULL_CONSUME_8P}",
           "--fill", str(p["n_1k"]), "--fetch-record-size", "1024", "--max-seconds", "1800"]
    out["command"] = " ".join(cmd)
    log_path = os.path.join(bench.workdir, "null_broker.log")
    log("starting null_broker")
    with open(log_path, "w") as logf:
        proc, line = start_printing_peer(bench, "null_broker", cmd, names, logf)
    if proc is None:
        return
    try:
        if not line:
            return
        out["bootstrap"] = line
        cpu = ProcessCpu(proc)
        meta = {"target": "null", "durability": "none (null_broker stores nothing)"}
        bench.produce("null_produce_1k_acks1", line, "bench-1k", p["n_1k"], 1024, "1", cpu, meta)
        bench.produce("null_produce_100b_acks1", line, "bench-100b", p["n_100b"], 100, "1", cpu, meta)
        bench.consume("null_consume_1k", line, "bench-consume-1k", p["n_1k"], cpu, meta)
        bench.consume("null_consume_1k_8p", line, "bench-consume-1k-8p", p["n_1k"], cpu,
                      dict(meta, partitions_note=f"{NULL_CONSUME_8P} partitions, {p['n_1k']} records each; "
                                                 f"reads {p['n_1k']} in all"))
    finally:
        CHILDREN.stop(proc)
        out["exit_code"] = proc.returncode
        try:
            with open(log_path, errors="replace") as f:
                # Its last lines: requests per API and records/bytes produced and fetched.
                out["log_tail"] = tail(f.read(), 4).splitlines()
        except OSError:
            pass


# ---------------------------------------------------------------------------------------------
# machine limits


def machine_busy_s() -> float | None:
    """CPU time all cores spent busy (user+nice+system+irq+softirq), machine-wide, from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return (v[0] + v[1] + v[2] + v[5] + v[6]) / CLK_TCK
    except (OSError, ValueError, IndexError):
        return None


def fio_job(args, workdir: str, label: str, job: list[str]) -> dict:
    """One fio job (sequential 1 MiB writes of fio_size in the work directory) as a `machine` entry:
    MB/s, and fio's own CPU time (its process only, not the kernel's write-back threads) per GB."""
    if not shutil.which("fio"):
        return {"ok": False, "error": "fio not installed (bash scripts/install-deps.sh)"}
    d = os.path.join(workdir, "fio")
    os.makedirs(d, exist_ok=True)
    size = args.profile["fio_size"]
    cmd = ["fio", f"--name={label}", "--rw=write", "--bs=1M", f"--size={size}", *job,
           f"--directory={d}", "--output-format=json"]
    log(f"fio: {label}: sequential write {size} ({' '.join(job)})")
    busy0 = machine_busy_s()
    rc, out, err = run(cmd, timeout=300)
    busy1 = machine_busy_s()
    shutil.rmtree(d, ignore_errors=True)
    try:
        j = json.loads(out[out.index("{"):])
        jb = j["jobs"][0]
        w = jb["write"]
        bw = float(w["bw_bytes"])
        res = {"ok": True, "mb_per_s": round(bw / 1e6, 3), "iops": round(float(w["iops"]), 1),
               "size": size, "command": " ".join(cmd), "version": j.get("fio version")}
        sync = jb.get("sync", {}).get("lat_ns", {})
        if sync and sync.get("N", 1):
            res["fdatasync_mean_ms"] = round(float(sync.get("mean", 0)) / 1e6, 3)
        runtime_s = float(jb.get("job_runtime", 0)) / 1000
        gb = float(w.get("io_bytes", 0)) / 1e9
        if runtime_s > 0 and gb > 0:
            res["runtime_s"] = round(runtime_s, 3)
            res["sys_cpu_s_per_gb"] = round(float(jb["sys_cpu"]) / 100 * runtime_s / gb, 3)
            res["usr_cpu_s_per_gb"] = round(float(jb["usr_cpu"]) / 100 * runtime_s / gb, 3)
            if busy0 is not None and busy1 is not None:
                # Every process's CPU while fio ran (the kernel's write-back threads included, and
                # whatever else the machine was doing: noisy on a shared machine).
                res["machine_cpu_s_per_gb"] = round((busy1 - busy0) / gb, 3)
        log(f"fio: {label}: {res['mb_per_s']} MB/s" +
            (f", {res['sys_cpu_s_per_gb']} sys CPU-s/GB" if "sys_cpu_s_per_gb" in res else ""))
        return res
    except (ValueError, KeyError, IndexError, TypeError):
        log(f"fio: {label}: FAILED")
        return {"ok": False, "error": f"fio rc={rc}: {tail(err or out)}", "command": " ".join(cmd)}


def run_fio(args, workdir: str) -> dict:
    """The disk with fdatasync after every 1 MiB: what a durable broker's appends can reach."""
    return fio_job(args, workdir, "seq", ["--fdatasync=1"])


def run_fio_buffered(args, workdir: str) -> dict:
    """Buffered writes (through the page cache into fresh memory), one fsync at the end so the
    figure includes reaching the disk: the limit of a page-cache broker's sustained appends."""
    return fio_job(args, workdir, "buffered", ["--end_fsync=1"])


def run_fio_direct(args, workdir: str) -> dict:
    """O_DIRECT writes: the disk's bandwidth without the page cache's copy and allocation."""
    return fio_job(args, workdir, "direct", ["--direct=1"])


def run_iperf(args) -> dict:
    if not shutil.which("iperf3"):
        return {"ok": False, "error": "iperf3 not installed (bash scripts/install-deps.sh)"}
    port = free_port()
    secs = args.profile["iperf_s"]
    server = CHILDREN.add(subprocess.Popen(["iperf3", "-s", "-1", "-B", "127.0.0.1", "-p", str(port)],
                                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL))
    cmd = ["iperf3", "-c", "127.0.0.1", "-p", str(port), "-t", str(secs), "-P", "1", "-J"]
    log(f"iperf3: loopback TCP, one stream, {secs} s")
    try:
        j = None
        rc, out, err = -1, "", ""
        for _ in range(20):
            rc, out, err = run(cmd, timeout=secs + 30)
            try:
                j = json.loads(out)
            except ValueError:
                j = None
            if j and "end" in j and "sum_received" in j["end"]:
                break
            time.sleep(0.2)
        if not j or "sum_received" not in j.get("end", {}):
            log("iperf3: FAILED")
            return {"ok": False, "error": f"iperf3 rc={rc}: {(j or {}).get('error') or tail(err or out)}"}
        bps = float(j["end"]["sum_received"]["bits_per_second"])
        res = {"ok": True, "mb_per_s": round(bps / 8 / 1e6, 3), "seconds": secs, "streams": 1,
               "command": " ".join(cmd), "version": j.get("start", {}).get("version")}
        log(f"iperf3: {res['mb_per_s']} MB/s")
        return res
    finally:
        CHILDREN.stop(server, timeout=3)


def machine_info() -> dict:
    info: dict = {"hostname": platform.node(), "kernel": platform.release(), "cpus": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    info["mem_total_mb"] = round(int(line.split()[1]) * 1024 / 1e6)
        info["loadavg_at_start"] = [float(x) for x in open("/proc/loadavg").read().split()[:3]]
    except OSError:
        pass
    try:
        with open("/etc/debian_version") as f:
            info["debian"] = f.read().strip()
    except OSError:
        pass
    return info


def git_info() -> dict:
    def g(*a: str) -> str:
        rc, out, _ = run(["git", "-C", ROOT, *a], timeout=20)
        return out.strip() if rc == 0 else ""
    return {"commit": g("rev-parse", "HEAD"), "subject": g("log", "-1", "--format=%s"),
            "branch": g("rev-parse", "--abbrev-ref", "HEAD"),
            "dirty": bool(g("status", "--porcelain", "--untracked-files=no"))}


# ---------------------------------------------------------------------------------------------
# ratios


def idle_rss(brokers: dict) -> float | None:
    """The idle VmRSS of the first spate broker (measured before any load)."""
    return next((b["idle_rss_mb"] for b in brokers.values() if b.get("idle_rss_mb") is not None), None)


def ratios(sc: dict, machine: dict, brokers: dict, many: dict | None = None, soak: dict | None = None,
           soak_only: bool = False, acls: dict | None = None, tls: dict | None = None) -> dict:
    def mbps(name: str) -> float | None:
        r = sc.get(name)
        return float(r["mb_per_s"]) if r and r.get("ok") and r.get("mb_per_s") else None

    def steady(name: str) -> float | None:
        r = sc.get(name)
        return float(r["steady_mb_per_s"]) if r and r.get("ok") and r.get("steady_mb_per_s") else None

    def msgs(name: str, key: str = "msgs_per_s") -> float | None:
        r = sc.get(name)
        return float(r[key]) if r and r.get("ok") and r.get(key) else None

    def cpu_per_gb(name: str) -> float | None:
        r = sc.get(name)
        return float(r["broker_cpu_s_per_gb"]) if r and r.get("ok") and r.get("broker_cpu_s_per_gb") is not None \
            else None

    def div(a: float | None, b: float | None) -> float | None:
        return round(a / b, 4) if a is not None and b else None

    def lat(q: str) -> float | None:
        r = sc.get("e2e_latency_1k")
        return float(r["e2e_ms"][q]) if r and r.get("ok") and r.get("e2e_ms", {}).get(q) is not None else None

    fio = machine.get("fio", {}).get("mb_per_s") if machine.get("fio", {}).get("ok") else None
    ip = machine.get("iperf3", {}).get("mb_per_s") if machine.get("iperf3", {}).get("ok") else None
    values = {
        "produce_vs_mock": div(steady("produce_1k_acks1"), mbps("mock_produce_1k_acks1")),
        "produce_vs_null": div(steady("produce_1k_acks1"), mbps("null_produce_1k_acks1")),
        "produce_100b_vs_mock": div(msgs("produce_100b_acks1", "steady_msgs_per_s"), msgs("mock_produce_100b_acks1")),
        "fsync_produce_vs_fio": div(steady("produce_1k_acksall_fsync"), fio),
        "consume_vs_null": div(mbps("consume_1k_pagecache"), mbps("null_consume_1k")),
        "consume_8p_vs_null": div(mbps("consume_1k_pagecache_8p"), mbps("null_consume_1k_8p")),
        "produce_cpu_s_per_gb": cpu_per_gb("produce_1k_acks1"),
        "consume_cpu_s_per_gb": cpu_per_gb("consume_1k_pagecache"),
        "latency_p99_ms": lat("p99"),
        "latency_p50_ms": lat("p50"),
        "consume_vs_loopback": div(mbps("consume_1k_pagecache"), ip),
        "idle_rss_mb": idle_rss(brokers),
        **many_partitions_values(sc.get("many_partitions")),
        "many_producers_vs_one": (many or {}).get("ratio_steady"),
        "acls_vs_none": (acls or {}).get("ratio_on_vs_off"),
        "tls_produce_vs_plain": (tls or {}).get("produce_ratio_tls_vs_plain"),
        "tls_consume_vs_plain": (tls or {}).get("consume_ratio_tls_vs_plain"),
    }
    targets = {} if soak_only else dict(TARGETS)
    if soak and soak.get("ran"):
        targets.update(SOAK_TARGETS)
        values.update({k: soak.get(k) for k in SOAK_TARGETS})
    out = {}
    for k, (desc, op, target) in targets.items():
        v = values[k]
        if v is None:
            ok = None
        elif op == ">=":
            ok = v >= target
        elif op == "<=":
            ok = v <= target
        else:
            ok = v < target
        out[k] = {"value": v, "target": f"{op} {target}", "pass": bool(ok) if ok is not None else False,
                  "measured": v is not None, "what": desc}
    return out


# ---------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description="spate benchmark: prints one JSON document on stdout")
    ap.add_argument("--quick", action="store_true", help="small counts: a smoke test in well under a minute")
    ap.add_argument("--no-build", action="store_true", help="use existing binaries, build nothing")
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build-bench"), help="default: build-bench")
    ap.add_argument("--spate", help="spate binary to benchmark (default: <build-dir>/spate, built)")
    ap.add_argument("--partitions", type=int, default=1, help="partitions per benchmark topic (default 1)")
    ap.add_argument("--only", help="comma-separated scenario names (and/or fio, iperf3) to run")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (data, broker logs)")
    ap.add_argument("--workdir", help="parent of the temporary directory (default: the repo's build dir); "
                                      "fio and the brokers write here, so it decides which disk is measured")
    ap.add_argument("--soak", action="store_true",
                    help="run the soak only (soak_minutes, default 30: --soak-minutes M), not the default scenarios")
    ap.add_argument("--disk-budget-gb", type=float,
                    help=f"most a broker's logs may use on disk (GB; default {DISK_BUDGET_FRACTION * 100:.0f} %% "
                         "of the work directory's free space at the start): runs that could write more get "
                         "size retention")
    for k in PROFILES["default"]:
        ap.add_argument(f"--{k.replace('_', '-')}", dest=f"ov_{k}", help=f"override the profile's {k}")
    args = ap.parse_args()
    if args.soak and not args.only:
        args.only = "soak"
    args.profile = dict(PROFILES["quick" if args.quick else "default"])
    for k, v in list(args.profile.items()):
        ov = getattr(args, f"ov_{k}")
        if ov is not None:
            args.profile[k] = type(v)(ov) if not isinstance(v, str) else ov

    started = dt.datetime.now(dt.timezone.utc)
    spate, load, mock, null = build(args)
    for path in (load, mock):
        if not os.path.exists(path):
            raise SystemExit(f"missing {path}: run without --no-build")

    parent = args.workdir or os.path.abspath(args.build_dir)
    os.makedirs(parent, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="spate-bench-", dir=parent)
    log(f"work directory {workdir}")
    free = shutil.disk_usage(workdir).free
    args.disk_budget = int(args.disk_budget_gb * 1e9) if args.disk_budget_gb else int(free * DISK_BUDGET_FRACTION)
    disk = {"free_gb_at_start": round(free / 1e9, 1), "budget_gb": round(args.disk_budget / 1e9, 1),
            "budget_from": "--disk-budget-gb" if args.disk_budget_gb else f"{DISK_BUDGET_FRACTION:.0%} of free space",
            "write_rate_bound_gb_per_s": WRITE_RATE_BOUND / 1e9, "retention_check_ms": RETENTION_CHECK_MS}
    log(f"disk: {disk['free_gb_at_start']} GB free, brokers' logs capped at {disk['budget_gb']} GB")

    def on_signal(signum, _frame):
        CHILDREN.stop_all()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    bench = Bench(args, load, workdir)
    machine = machine_info()
    brokers: dict = {}
    mock_info: dict = {}
    null_info: dict = {}
    metrics_pair: dict = {}
    lag_pair: dict = {}
    cleaner_pair: dict = {}
    quota_pair: dict = {}
    acl_pair: dict = {}
    tls_pair: dict = {}
    offsets_replay: dict = {}
    many_producers: dict = {}
    soak: dict = {}
    try:
        run_spate(bench, spate, workdir, brokers)
        run_metrics_pair(bench, spate, workdir, metrics_pair)
        run_lag_pair(bench, spate, workdir, lag_pair)
        run_cleaner_pair(bench, spate, workdir, cleaner_pair)
        run_quota_pair(bench, spate, workdir, quota_pair)
        run_acl_pair(bench, spate, workdir, acl_pair)
        run_tls_pair(bench, spate, workdir, tls_pair)
        run_offsets_replay(bench, spate, workdir, offsets_replay)
        run_many_partitions(bench, spate, workdir)
        run_many_producers(bench, spate, workdir, many_producers)
        run_soak(bench, spate, workdir, soak)
        run_mock(bench, mock, mock_info)
        run_null(bench, null, null_info)
        run_lag_store(bench, os.path.dirname(load), workdir)
        if bench.wanted("fio"):
            machine["fio"] = run_fio(args, workdir)
        if bench.wanted("fio") or bench.wanted("fio_buffered"):
            machine["fio_buffered"] = run_fio_buffered(args, workdir)
        if bench.wanted("fio") or bench.wanted("fio_direct"):
            machine["fio_direct"] = run_fio_direct(args, workdir)
        if bench.wanted("iperf3"):
            machine["iperf3"] = run_iperf(args)
        if machine.get("fio", {}).get("ok") and cleaner_pair:
            cleaner_pair["disk_write_mb_per_s"] = machine["fio"]["mb_per_s"]
    finally:
        CHILDREN.stop_all()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    rat = ratios(bench.scenarios, machine, brokers, many_producers, soak, soak_only=args.soak, acls=acl_pair,
                 tls=tls_pair)
    produced = [s for s in bench.scenarios.values() if s.get("target") == "spate" and s.get("mode") == "produce" and s.get("ok")]
    consumed = [s for s in bench.scenarios.values() if s.get("target") == "spate" and s.get("mode") == "consume" and s.get("ok")]

    def cpu_per_gb(rs: list[dict]) -> float | None:
        b = sum(r.get("bytes", 0) for r in rs)
        c = sum(r.get("broker_cpu_s", 0) for r in rs)
        return round(c / (b / 1e9), 3) if b and all("broker_cpu_s" in r for r in rs) else None

    failed = sorted(n for n, s in bench.scenarios.items() if not s.get("ok"))
    failed += [k for k in ("fio", "fio_buffered", "fio_direct", "iperf3") if k in machine and not machine[k].get("ok")]
    if soak.get("ran") and not soak.get("ok"):
        failed.append("soak")
    doc = {
        "spate_bench": 1,
        "date": started.isoformat(timespec="seconds"),
        "git": git_info(),
        "profile": ("soak" if args.soak else "quick" if args.quick else "default"),
        "settings": args.profile | {"partitions": args.partitions},
        "units": "MB = 10^6 bytes of record payload; ms = milliseconds; CPU-s = broker utime+stime",
        "spate_binary": spate,
        # git describes the source tree at run time; with --no-build or --spate the binary may be
        # older than that, so its modification time is recorded too.
        "spate_binary_mtime": (dt.datetime.fromtimestamp(os.path.getmtime(spate), dt.timezone.utc)
                               .isoformat(timespec="seconds") if os.path.exists(spate) else None),
        "built_by_run": not args.no_build and not args.spate,
        "scenarios": bench.scenarios,
        "machine": machine,
        "disk": disk,
        "brokers": brokers,
        "broker_resources": {
            "idle_rss_mb": idle_rss(brokers),
            "peak_rss_mb": max((b.get("peak_rss_mb") or 0 for b in brokers.values()), default=None) or None,
            "cpu_s_per_gb_produced": cpu_per_gb(produced),
            "cpu_s_per_gb_consumed": cpu_per_gb(consumed),
        },
        "mock": mock_info,
        "null_broker": null_info,
        "metrics_overhead": metrics_pair,
        "lag_monitor_overhead": lag_pair,
        "log_cleaner": cleaner_pair,
        "disk_quota_overhead": quota_pair,
        "acl_overhead": acl_pair,
        "tls_overhead": tls_pair,
        "offsets_replay": offsets_replay,
        "many_producers": many_producers,
        "soak": soak,
        "ratios": rat,
        "summary": {
            "targets_passed": sum(1 for r in rat.values() if r["pass"]),
            "targets_total": len(rat),
            "all_targets_pass": all(r["pass"] for r in rat.values()),
            "failed_targets": [k for k, r in rat.items() if r["measured"] and not r["pass"]],
            "unmeasured_targets": [k for k, r in rat.items() if not r["measured"]],
            "failed_runs": failed,
            "duration_s": round(time.monotonic() - T0, 1),
        },
    }
    print(json.dumps(doc, indent=2))
    width = max((len(k) for k in rat), default=0)
    for k, r in rat.items():
        log(f"target {k:<{width}}  {str(r['value']):>10}  {r['target']:<8}  "
            + ("PASS" if r["pass"] else "FAIL" if r["measured"] else "not measured"))
    log(f"done in {doc['summary']['duration_s']} s: {doc['summary']['targets_passed']}/{len(rat)} targets pass"
        + (f"; failed runs: {', '.join(failed)}" if failed else ""))
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
