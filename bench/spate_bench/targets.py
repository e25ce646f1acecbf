"""The targets the broker is judged by: the ratios of the measured figures, each against its
target, with pass/fail."""
from __future__ import annotations

from .procs import log


# Targets the broker is judged by: name -> (description, op, target).
# spate's produce figures in ratios are steady-state ones (steady_mb_per_s: the last half of a
# produce_s run); the references (mock, null_broker) keep everything in memory, so their whole run is
# their steady state, and each is the mean of a round just before and one just after spate's scenarios.
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


def idle_rss(brokers: dict) -> float | None:
    """The idle VmRSS of the first spate broker (measured before any load)."""
    return next((b["idle_rss_mb"] for b in brokers.values() if b.get("idle_rss_mb") is not None), None)


def many_partitions_values(r: dict | None) -> dict:
    ok = bool(r and r.get("ok"))
    return {
        "many_partitions_fds_per_partition": r["fds_per_partition"] if ok else None,
        "many_partitions_startup_s": r["startup_s"] if ok else None,
        "many_partitions_idle_rss_mb": r["idle_rss_mb"] if ok else None,
        "many_partitions_metadata_ms": r["metadata_ms_median"] if ok else None,
    }


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


def log_targets(rat: dict) -> None:
    """The targets table on stderr, one line per target: value, target, PASS/FAIL/not measured."""
    width = max((len(k) for k in rat), default=0)
    for k, r in rat.items():
        log(f"target {k:<{width}}  {str(r['value']):>10}  {r['target']:<8}  "
            + ("PASS" if r["pass"] else "FAIL" if r["measured"] else "not measured"))
