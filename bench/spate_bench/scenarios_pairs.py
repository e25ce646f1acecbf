"""The cost of a feature: produce throughput of two brokers side by side, one with the
feature off (metrics, ACLs, the lag monitor, the log cleaner, the disk quota)."""
from __future__ import annotations

import json
import os
import time

from .brokers import Broker, cleanings_in_log, spate_supports
from .load import Bench
from .procs import log
from .profiles import INT64_MAX


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
