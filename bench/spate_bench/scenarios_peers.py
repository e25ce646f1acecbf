"""The reference peers: librdkafka's mock cluster and bench/null_broker (the load tool's
ceiling), under the spate scenarios' loads."""
from __future__ import annotations

import os
import subprocess

from .load import Bench, delivered
from .procs import CHILDREN, log, proc_cpu_s, tail


MOCK_CONSUME_PARTITIONS = 64


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


def run_mock(bench: Bench, mock: str, out: dict, latency: bool = True) -> None:
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
        if latency:
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


# The figures of a peer scenario that are averaged over its two rounds (run_peers_around).
ROUND_MEAN_KEYS = ("mb_per_s", "msgs_per_s", "steady_mb_per_s", "steady_msgs_per_s", "first_5s_mb_per_s",
                   "first_5s_msgs_per_s", "broker_cpu_s_per_gb")


def mean_of_rounds(before: dict, after: dict | None, keys: tuple[str, ...] = ROUND_MEAN_KEYS) -> dict:
    """One figure measured before and after spate's scenarios (a peer scenario, or fio): the second
    round's record with `keys` averaged, both rounds kept under "rounds". A failed round does not
    count."""
    if not after or not after.get("ok"):
        return before
    if not before.get("ok"):
        return after
    out = dict(after)
    for key in keys:
        a, b = before.get(key), after.get(key)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            out[key] = round((a + b) / 2, 3)
    out["rounds"] = {"before_spate": before, "after_spate": after}
    return out


def run_peers_around(bench: Bench, mock: str, null: str, mock_info: dict, null_info: dict, spate_scenarios) -> None:
    """The reference peers (mock cluster, null_broker) measured just before and just after
    `spate_scenarios` (a callable), each figure the mean of the two rounds. This machine's speed
    drifts by a fifth within a minute (null_broker's produce: 1.9 then 2.3 GB/s; 1.6-2.5 GB/s between
    runs of one day), and with the peers measured minutes after spate the ratios carried that drift;
    measured on both sides, a drift that is steady over those minutes cancels out. The mock's latency
    scenario (informational) runs in the first round only."""
    run_mock(bench, mock, mock_info)
    run_null(bench, null, null_info)
    first = {name: bench.scenarios.pop(name) for name in list(bench.scenarios)
             if name.startswith(("mock_", "null_")) and name != "mock_e2e_latency_1k"}
    spate_scenarios()
    run_mock(bench, mock, mock_info, latency=False)
    run_null(bench, null, null_info)
    for name, before in first.items():
        merged = mean_of_rounds(before, bench.scenarios.get(name))
        bench.scenarios[name] = merged
        if "rounds" in merged and merged.get("mb_per_s") is not None:
            log(f"{name}: {merged['mb_per_s']} MB/s, the mean of {before.get('mb_per_s')} before and "
                f"{merged['rounds']['after_spate'].get('mb_per_s')} after spate's scenarios")
