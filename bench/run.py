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
    },
}

MOCK_CONSUME_PARTITIONS = 64

# Targets the broker is judged by: name -> (description, op, target).
TARGETS = {
    "produce_vs_mock": ("produce_1k_acks1 MB/s / mock_produce_1k_acks1 MB/s", ">=", 0.8),
    "fsync_produce_vs_fio": ("produce_1k_acksall_fsync MB/s / fio fdatasync-per-MiB MB/s", ">=", 0.7),
    "consume_vs_loopback": ("consume_1k_pagecache MB/s / iperf3 loopback MB/s", ">=", 0.45),
    "latency_p50_ms": ("e2e_latency_1k end-to-end p50 (ms)", "<=", 6.0),
    "latency_p99_ms": ("e2e_latency_1k end-to-end p99 (ms)", "<=", 15.0),
    "idle_rss_mb": ("broker VmRSS after start, before load (MB)", "<", 30.0),
    "produce_vs_null": ("produce_1k_acks1 MB/s / null_produce_1k_acks1 MB/s", ">=", 0.85),
    "consume_vs_null": ("consume_1k_pagecache MB/s / null_consume_1k MB/s", ">=", 0.8),
    "many_partitions_fds_per_partition": ("many_partitions: open descriptors per idle partition (over a broker without topics)", "<=", 1.0),
    "many_partitions_startup_s": ("many_partitions: restart to ready (s)", "<=", 3.0),
    "many_partitions_idle_rss_mb": ("many_partitions: VmRSS after the restart, idle (MB)", "<=", 100.0),
    "many_partitions_metadata_ms": ("many_partitions: Metadata for all topics, median of 5 (ms)", "<=", 50.0),
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
        rc, out, err = run(cmd, timeout=timeout + 30)
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
                    + (f", broker {res['broker_cpu_s_per_gb']} CPU-s/GB" if "broker_cpu_s_per_gb" in res else ""))
        else:
            log(f"{name}: FAILED: {res.get('error')}")
        return res

    def produce(self, name: str, bootstrap: str, topic: str, count: int, size: int, acks: str,
                broker: Broker | None, meta: dict, keys: int = 0) -> dict | None:
        if not self.wanted(name):
            return None
        cap = self.args.profile["produce_cap_s"]
        extra = ["-n", str(count), "-s", str(size), "--acks", acks, "--linger-ms", "5",
                 "--duration-s", str(cap), "--timeout-s", str(cap + 30),
                 "--stall-s", str(self.args.profile["stall_s"])]
        extra += ["--keys", str(keys)] if keys else []
        return self.load_run(name, "produce", bootstrap, topic, extra, cap + 30, broker, meta)

    def consume(self, name: str, bootstrap: str, topic: str, count: int, broker: Broker | None,
                meta: dict, allow_short: bool = False) -> dict | None:
        if not self.wanted(name):
            return None
        if count <= 0:
            self.scenarios[name] = {"ok": False, "error": "nothing was produced to consume", **meta}
            log(f"{name}: skipped, nothing produced")
            return None
        to = self.args.profile["consume_timeout_s"]
        extra = ["-n", str(count), "--timeout-s", str(to), "--stall-s", str(self.args.profile["stall_s"])]
        extra += ["--allow-short"] if allow_short else []
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


def run_spate(bench: Bench, spate: str, workdir: str, brokers_out: dict) -> None:
    a, p = bench.args, bench.args.profile
    parts = a.partitions
    has_flush = spate_supports(spate, "log.flush.interval.messages")
    spate_names = ["produce_1k_acks1", "produce_100b_acks1", "consume_1k_pagecache",
                   "consume_100b_pagecache", "e2e_latency_1k_pagecache", "produce_1k_acksall_fsync",
                   "produce_100b_acksall_fsync", "e2e_latency_1k"]
    if not any(bench.wanted(n) for n in spate_names + ["idle_rss"]):
        return
    if not os.path.exists(spate):
        for n in spate_names:
            if bench.wanted(n):
                bench.scenarios[n] = {"ok": False, "error": f"no spate binary at {spate}"}
        return

    # Broker 1, "page cache" durability: acknowledged once in the page cache, fsynced later
    # (Kafka's default trade; log.flush.interval.messages=Long.MAX). acks=1 and consume scenarios.
    pc_settings = {"log.flush.interval.messages": str(INT64_MAX)} if has_flush else {}
    pc_dur = ("page cache (log.flush.interval.messages=max)" if has_flush
              else "broker default (binary has no log.flush.interval.messages)")
    topics = [("bench-1k", parts), ("bench-100b", parts), ("bench-lat-pc", parts)]
    b1 = Broker("pagecache", spate, workdir, pc_settings, topics)
    log(f"starting spate ({pc_dur}) on {b1.bootstrap}")
    if not b1.start():
        log(f"broker failed: {b1.error}")
        brokers_out["pagecache"] = b1.stop()
        for n in spate_names:
            if bench.wanted(n):
                bench.scenarios[n] = {"ok": False, "error": f"broker did not start: {b1.error}"}
        return
    try:
        for t, _ in topics:
            e = bench.wait_topic(b1.bootstrap, t)
            if e:
                log(f"topic {t}: {e}")
        time.sleep(1.0)
        b1.idle_rss_kb = proc_status_kb(b1.pid, "VmRSS")
        log(f"idle RSS {mb_from_kb(b1.idle_rss_kb)} MB")
        meta = {"target": "spate", "durability": pc_dur}
        r1 = bench.produce("produce_1k_acks1", b1.bootstrap, "bench-1k", p["n_1k"], 1024, "1", b1, meta)
        r2 = bench.produce("produce_100b_acks1", b1.bootstrap, "bench-100b", p["n_100b"], 100, "1", b1, meta)
        bench.consume("consume_1k_pagecache", b1.bootstrap, "bench-1k", delivered(r1), b1, meta)
        bench.consume("consume_100b_pagecache", b1.bootstrap, "bench-100b", delivered(r2), b1, meta)
        bench.latency("e2e_latency_1k_pagecache", b1.bootstrap, "bench-lat-pc", b1, meta)
    finally:
        brokers_out["pagecache"] = b1.stop()
        brokers_out["pagecache"]["durability"] = pc_dur

    # Broker 2, defaults: "durable by default" (log.flush.interval.messages=1: every append is
    # fdatasync'ed, group-committed, before it is acknowledged or visible). acks=all scenarios and
    # the judged end-to-end latency.
    if not any(bench.wanted(n) for n in ["produce_1k_acksall_fsync", "produce_100b_acksall_fsync",
                                         "e2e_latency_1k"]):
        return
    d_settings = {"log.flush.interval.messages": "1"} if has_flush else {}
    d_dur = ("fsync before ack (log.flush.interval.messages=1, the default)" if has_flush
             else "broker default (binary has no log.flush.interval.messages)")
    topics = [("bench-1k-all", parts), ("bench-100b-all", parts), ("bench-lat", parts)]
    b2 = Broker("durable", spate, workdir, d_settings, topics)
    log(f"starting spate ({d_dur}) on {b2.bootstrap}")
    if not b2.start():
        log(f"broker failed: {b2.error}")
        brokers_out["durable"] = b2.stop()
        for n in ["produce_1k_acksall_fsync", "produce_100b_acksall_fsync", "e2e_latency_1k"]:
            if bench.wanted(n):
                bench.scenarios[n] = {"ok": False, "error": f"broker did not start: {b2.error}"}
        return
    try:
        for t, _ in topics:
            e = bench.wait_topic(b2.bootstrap, t)
            if e:
                log(f"topic {t}: {e}")
        time.sleep(0.5)
        b2.idle_rss_kb = proc_status_kb(b2.pid, "VmRSS")
        meta = {"target": "spate", "durability": d_dur}
        bench.produce("produce_1k_acksall_fsync", b2.bootstrap, "bench-1k-all", p["n_1k"], 1024, "all", b2, meta)
        bench.produce("produce_100b_acksall_fsync", b2.bootstrap, "bench-100b-all", p["n_100b"], 100, "all", b2, meta)
        bench.latency("e2e_latency_1k", b2.bootstrap, "bench-lat", b2, meta)
    finally:
        brokers_out["durable"] = b2.stop()
        brokers_out["durable"]["durability"] = d_dur


def run_onoff_pair(bench: Bench, spate: str, workdir: str, out: dict, what: str, setting: str,
                   prepare=None, report=None, settings: dict[str, str] | None = None, keys: int = 0) -> None:
    """The cost of a feature: produce throughput (100-byte records, acks=1, page cache: the most
    requests per byte) against two brokers started side by side, one with `setting`=false, in
    alternating rounds (on, off, off, on) so drift in the machine's speed cancels out. `prepare(b)`
    runs on both brokers before the rounds; `report(on_broker, out)` after them. `out` gets each
    side's throughput and the on/off ratio. `settings` are added to both brokers'; `keys` > 0 keys
    the records (k0..k<keys-1>)."""
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


def run_mock(bench: Bench, mock: str, out: dict) -> None:
    names = ["mock_produce_1k_acks1", "mock_consume_1k", "mock_e2e_latency_1k"]
    if not any(bench.wanted(n) for n in names):
        return
    p, parts = bench.args.profile, bench.args.partitions
    cmd = [mock, "--topic", f"bench-1k:{parts}", "--topic", f"bench-consume-1k:{MOCK_CONSUME_PARTITIONS}",
           "--topic", f"bench-lat:{parts}", "--max-seconds", "1800"]
    log("starting librdkafka mock cluster")
    try:
        proc = CHILDREN.add(subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                             stderr=subprocess.DEVNULL, text=True))
    except OSError as e:
        for n in names:
            bench.scenarios[n] = {"ok": False, "error": f"mock_cluster: {e}"}
        return
    try:
        import select
        ready, _, _ = select.select([proc.stdout], [], [], 15)
        line = proc.stdout.readline().strip() if ready else ""
        if not line:
            for n in names:
                bench.scenarios[n] = {"ok": False, "error": "mock_cluster printed no bootstrap address"}
            return
        out["bootstrap"] = line
        meta = {"target": "mock", "durability": "memory (librdkafka mock cluster)"}
        bench.produce("mock_produce_1k_acks1", line, "bench-1k", p["n_1k"], 1024, "1", None, meta)
        if bench.wanted("mock_consume_1k"):
            # The mock retains only ~5 MB per partition, so the consume test reads a 64-partition
            # topic filled for the purpose, up to the end of every partition.
            prep = bench.load_run("mock_consume_1k_fill", "produce", line, "bench-consume-1k",
                                  ["-n", str(p["mock_consume_prep"]), "-s", "1024", "--acks", "1",
                                   "--timeout-s", "60"], 60, None, meta)
            bench.scenarios.pop("mock_consume_1k_fill", None)
            cmeta = dict(meta, partitions_note=f"{MOCK_CONSUME_PARTITIONS} partitions; the mock keeps ~5 MB each")
            bench.consume("mock_consume_1k", line, "bench-consume-1k", max(1, delivered(prep)), None, cmeta,
                          allow_short=True)
        bench.latency("mock_e2e_latency_1k", line, "bench-lat", None, meta)
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
    try:
        with open(log_path, "w") as logf:
            proc = CHILDREN.add(subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                                 stderr=logf, text=True))
    except OSError as e:
        for n in names:
            bench.scenarios[n] = {"ok": False, "error": f"null_broker: {e}"}
        return
    try:
        import select
        ready, _, _ = select.select([proc.stdout], [], [], 15)
        line = proc.stdout.readline().strip() if ready else ""
        if not line:
            for n in names:
                if bench.wanted(n):
                    bench.scenarios[n] = {"ok": False, "error": "null_broker printed no bootstrap address"}
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


def run_fio(args, workdir: str) -> dict:
    if not shutil.which("fio"):
        return {"ok": False, "error": "fio not installed (bash scripts/install-deps.sh)"}
    d = os.path.join(workdir, "fio")
    os.makedirs(d, exist_ok=True)
    size = args.profile["fio_size"]
    cmd = ["fio", "--name=seq", "--rw=write", "--bs=1M", f"--size={size}", "--fdatasync=1",
           f"--directory={d}", "--output-format=json"]
    log(f"fio: sequential write {size}, fdatasync every 1 MiB")
    rc, out, err = run(cmd, timeout=300)
    shutil.rmtree(d, ignore_errors=True)
    try:
        j = json.loads(out[out.index("{"):])
        w = j["jobs"][0]["write"]
        bw = float(w["bw_bytes"])
        sync = j["jobs"][0].get("sync", {}).get("lat_ns", {})
        res = {"ok": True, "mb_per_s": round(bw / 1e6, 3), "iops": round(float(w["iops"]), 1),
               "size": size, "command": " ".join(cmd), "version": j.get("fio version")}
        if sync:
            res["fdatasync_mean_ms"] = round(float(sync.get("mean", 0)) / 1e6, 3)
        log(f"fio: {res['mb_per_s']} MB/s")
        return res
    except (ValueError, KeyError, IndexError, TypeError):
        log("fio: FAILED")
        return {"ok": False, "error": f"fio rc={rc}: {tail(err or out)}", "command": " ".join(cmd)}


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


def ratios(sc: dict, machine: dict, brokers: dict) -> dict:
    def mbps(name: str) -> float | None:
        r = sc.get(name)
        return float(r["mb_per_s"]) if r and r.get("ok") and r.get("mb_per_s") else None

    def div(a: float | None, b: float | None) -> float | None:
        return round(a / b, 4) if a is not None and b else None

    def lat(q: str) -> float | None:
        r = sc.get("e2e_latency_1k")
        return float(r["e2e_ms"][q]) if r and r.get("ok") and r.get("e2e_ms", {}).get(q) is not None else None

    fio = machine.get("fio", {}).get("mb_per_s") if machine.get("fio", {}).get("ok") else None
    ip = machine.get("iperf3", {}).get("mb_per_s") if machine.get("iperf3", {}).get("ok") else None
    values = {
        "produce_vs_mock": div(mbps("produce_1k_acks1"), mbps("mock_produce_1k_acks1")),
        "fsync_produce_vs_fio": div(mbps("produce_1k_acksall_fsync"), fio),
        "consume_vs_loopback": div(mbps("consume_1k_pagecache"), ip),
        "latency_p50_ms": lat("p50"),
        "latency_p99_ms": lat("p99"),
        "idle_rss_mb": brokers.get("pagecache", {}).get("idle_rss_mb"),
        "produce_vs_null": div(mbps("produce_1k_acks1"), mbps("null_produce_1k_acks1")),
        "consume_vs_null": div(mbps("consume_1k_pagecache"), mbps("null_consume_1k")),
        **many_partitions_values(sc.get("many_partitions")),
    }
    out = {}
    for k, (desc, op, target) in TARGETS.items():
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
    for k in PROFILES["default"]:
        ap.add_argument(f"--{k.replace('_', '-')}", dest=f"ov_{k}", help=f"override the profile's {k}")
    args = ap.parse_args()
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
    offsets_replay: dict = {}
    try:
        run_spate(bench, spate, workdir, brokers)
        run_metrics_pair(bench, spate, workdir, metrics_pair)
        run_lag_pair(bench, spate, workdir, lag_pair)
        run_cleaner_pair(bench, spate, workdir, cleaner_pair)
        run_quota_pair(bench, spate, workdir, quota_pair)
        run_offsets_replay(bench, spate, workdir, offsets_replay)
        run_many_partitions(bench, spate, workdir)
        run_mock(bench, mock, mock_info)
        run_null(bench, null, null_info)
        run_lag_store(bench, os.path.dirname(load), workdir)
        if bench.wanted("fio"):
            machine["fio"] = run_fio(args, workdir)
        if bench.wanted("iperf3"):
            machine["iperf3"] = run_iperf(args)
        if machine.get("fio", {}).get("ok") and cleaner_pair:
            cleaner_pair["disk_write_mb_per_s"] = machine["fio"]["mb_per_s"]
    finally:
        CHILDREN.stop_all()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    rat = ratios(bench.scenarios, machine, brokers)
    produced = [s for s in bench.scenarios.values() if s.get("target") == "spate" and s.get("mode") == "produce" and s.get("ok")]
    consumed = [s for s in bench.scenarios.values() if s.get("target") == "spate" and s.get("mode") == "consume" and s.get("ok")]

    def cpu_per_gb(rs: list[dict]) -> float | None:
        b = sum(r.get("bytes", 0) for r in rs)
        c = sum(r.get("broker_cpu_s", 0) for r in rs)
        return round(c / (b / 1e9), 3) if b and all("broker_cpu_s" in r for r in rs) else None

    failed = sorted(n for n, s in bench.scenarios.items() if not s.get("ok"))
    failed += [k for k in ("fio", "iperf3") if k in machine and not machine[k].get("ok")]
    doc = {
        "spate_bench": 1,
        "date": started.isoformat(timespec="seconds"),
        "git": git_info(),
        "profile": "quick" if args.quick else "default",
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
        "brokers": brokers,
        "broker_resources": {
            "idle_rss_mb": brokers.get("pagecache", {}).get("idle_rss_mb"),
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
        "offsets_replay": offsets_replay,
        "ratios": rat,
        "summary": {
            "targets_passed": sum(1 for r in rat.values() if r["pass"]),
            "targets_total": len(rat),
            "all_targets_pass": all(r["pass"] for r in rat.values()),
            "failed_runs": failed,
            "duration_s": round(time.monotonic() - T0, 1),
        },
    }
    print(json.dumps(doc, indent=2))
    log(f"done in {doc['summary']['duration_s']} s: {doc['summary']['targets_passed']}/{len(rat)} targets pass"
        + (f"; failed runs: {', '.join(failed)}" if failed else ""))
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
