"""Runs of the load tool (bench/spate_load): produce, consume and latency scenarios, recorded
with the broker's CPU and memory while they ran."""
from __future__ import annotations

import json
import re
import time

from .brokers import Broker
from .procs import dirty_mb, log, mb_from_kb, proc_status_kb, run, run_sampled, tail


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
        if isinstance(broker, Broker):
            # A broker whose disk quota left the normal state throttled or refused the load: the
            # figure measures the quota, not the data path.
            states = re.findall(r"event=disk_quota_state from=\S+ to=(soft|hard)", broker.read_log())
            if states:
                res["disk_quota_states"] = states
                log(f"{name}: WARNING: the broker's disk quota went {'/'.join(states)}: throttled figures")
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
