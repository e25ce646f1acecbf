"""A spate broker on a free loopback port with its own data directory, and what its
settings and log say: feature probes, size retention within the disk budget, cleanings."""
from __future__ import annotations

import os
import re
import subprocess
import time

from .procs import CHILDREN, free_port, mb_from_kb, proc_cpu_s, proc_status_kb, run, tail


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


def spate_supports(binary: str, key: str) -> bool:
    rc, out, err = run([binary, "serve", "--help"], timeout=20)
    return key in out + err


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
