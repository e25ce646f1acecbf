"""Start-up after many offset commits, before and after the cleaner compacted
__consumer_offsets."""
from __future__ import annotations

import os
import time

from .brokers import Broker, cleanings_in_log, spate_supports
from .load import Bench
from .procs import log


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
