"""The machine: its disk (fio) and loopback network (iperf3) limits, what it is, and the git
state of the tree."""
from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import time

from .build import ROOT
from .procs import CHILDREN, CLK_TCK, free_port, log, run, tail


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


# The figures of the fdatasync job that are averaged over its two rounds (main.py runs it on both
# sides of spate's scenarios, as it does the peers).
FIO_MEAN_KEYS = ("mb_per_s", "iops", "fdatasync_mean_ms", "sys_cpu_s_per_gb", "usr_cpu_s_per_gb",
                 "machine_cpu_s_per_gb")


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
