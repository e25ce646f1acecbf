"""The spate scenarios: produce, consume (cold and from the page cache) and latency, each
on a fresh broker."""
from __future__ import annotations

import os
import shutil
import time

from .brokers import (
    RETENTION_CHECK_MS, WRITE_RATE_BOUND, Broker, retention_deleted_bytes, retention_settings,
    spate_supports)
from .load import Bench, delivered
from .procs import log, mb_from_kb, proc_status_kb
from .profiles import INT64_MAX, SUSTAINED_COUNT
from .scenarios_peers import NULL_CONSUME_8P


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
