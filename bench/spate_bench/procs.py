"""Processes and /proc: running commands (bounded, sampled), every child tracked so it can be
stopped by pid, free ports, CPU time and memory of a pid, progress on stderr."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time


T0 = time.monotonic()


def log(msg: str) -> None:
    print(f"[bench {time.monotonic() - T0:6.1f}s] {msg}", file=sys.stderr, flush=True)


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


def mb_from_kb(kb: int | None) -> float | None:
    return None if kb is None else round(kb * 1024 / 1e6, 2)
