"""Scale: many producers to one topic, and many partitions on one broker."""
from __future__ import annotations

import os
import re
import shutil
import socket
import struct
import time

from .brokers import WRITE_RATE_BOUND, Broker, retention_settings, spate_supports
from .load import Bench
from .procs import dirty_mb, log, mb_from_kb, proc_status_kb
from .profiles import INT64_MAX, SUSTAINED_COUNT


MANY_PRODUCERS_PARTITIONS, MANY_PRODUCERS_KEYS = 64, 100_000


def run_many_producers(bench: Bench, spate: str, workdir: str, out: dict) -> None:
    """Many producers: keyed 1 KiB records (100,000 keys), acks=1, to a 64-partition topic on a
    page-cache broker: one producer instance vs N (32) in one process, in rounds 1, N, N, 1 of
    `many_producers_s` each, so the machine's drift cancels out. Each round gets a fresh broker
    whose data directory is deleted after it: deleting drops the round's dirty pages, so every
    round starts with the same clean page cache (a broker kept across rounds hands the next round
    gigabytes of dirty pages, and below the background threshold the kernel only starts writing
    them back after dirty_expire_centisecs, 30 s; waiting for that cost 20-60 s per round).
    The figures are each side's mean over its two rounds; the target uses the steady state.
    Size retention only when a round could write more than the disk budget (not at 8 s)."""
    p = bench.args.profile
    n = int(p["many_producers"])
    names = {1: "produce_1k_acks1_keyed_1producer", n: f"produce_1k_acks1_keyed_{n}producers"}
    if not any(bench.wanted(x) for x in names.values()) or not os.path.exists(spate):
        return
    settings = ({"log.flush.interval.messages": str(INT64_MAX)}
                if spate_supports(spate, "log.flush.interval.messages") else {})
    # Retention only when a round could write more than the disk budget (not at the default 8 s).
    settings |= retention_settings(bench.args.disk_budget, MANY_PRODUCERS_PARTITIONS,
                                   p["many_producers_s"] * WRITE_RATE_BOUND)
    out["retention"] = {k: v for k, v in settings.items() if "retention" in k or "segment" in k}
    topic = "bench-keyed-64"
    rounds: dict[int, list[dict]] = {1: [], n: []}
    out["brokers"] = []
    for i, k in enumerate([1, n, n, 1]):
        if not bench.wanted(names[k]):
            continue
        b = Broker(f"many-producers-{i}", spate, workdir, settings, [(topic, MANY_PRODUCERS_PARTITIONS)])
        log(f"starting spate (many producers round {i}: {k}, page cache) on {b.bootstrap}")
        if not b.start():
            bench.scenarios[names[k]] = r = {"ok": False, "error": f"broker did not start: {b.error}", "round": i}
            rounds[k].append(r)
            out["brokers"].append(b.stop())
            continue
        try:
            bench.wait_topic(b.bootstrap, topic)
            meta = {"target": "spate", "durability": "page cache", "broker": b.name, "round": i,
                    "keys": MANY_PRODUCERS_KEYS, "dirty_mb_at_start": dirty_mb()}
            r = bench.produce(names[k], b.bootstrap, topic, SUSTAINED_COUNT, 1024, "1", b, meta,
                              keys=MANY_PRODUCERS_KEYS, duration=p["many_producers_s"], producers=k)
            if r:
                rounds[k].append(r)
        finally:
            out["brokers"].append(b.stop())
            shutil.rmtree(b.data, ignore_errors=True)

    def mean(rs: list[dict], key: str) -> float | None:
        v = [float(r[key]) for r in rs if r.get("ok") and r.get(key) is not None]
        return round(sum(v) / len(v), 3) if v and len(v) == len(rs) else None

    for k, rs in rounds.items():
        if not rs:
            continue
        last = bench.scenarios[names[k]]  # the last round's full result, plus every round's figures
        last["rounds"] = [{"round": r.get("round"), "ok": r.get("ok"), "mb_per_s": r.get("mb_per_s"),
                           "first_5s_mb_per_s": r.get("first_5s_mb_per_s"),
                           "steady_mb_per_s": r.get("steady_mb_per_s"),
                           "ack_p99_ms": (r.get("ack_ms") or {}).get("p99"),
                           "dirty_mb_at_start": r.get("dirty_mb_at_start")}
                          for r in rs]
        if not all(r.get("ok") for r in rs):
            last["ok"] = False
            last.setdefault("error", "a round failed")
        for key in ("mb_per_s", "first_5s_mb_per_s", "steady_mb_per_s", "msgs_per_s"):
            last[f"{key}_mean"] = mean(rs, key)
        p99s = [(r.get("ack_ms") or {}).get("p99") for r in rs]
        # The worse of the two rounds' ack p99 (p99s of separate runs do not average).
        last["ack_p99_ms"] = max(p99s) if p99s and all(x is not None for x in p99s) else None
        out[f"ack_p99_ms_{k}"] = last["ack_p99_ms"]
        out[f"steady_mb_per_s_{k}"] = last["steady_mb_per_s_mean"]
        out[f"first_5s_mb_per_s_{k}"] = last["first_5s_mb_per_s_mean"]
    s1, sn = out.get("steady_mb_per_s_1"), out.get(f"steady_mb_per_s_{n}")
    f1, fn = out.get("first_5s_mb_per_s_1"), out.get(f"first_5s_mb_per_s_{n}")
    out["producers"] = n
    out["ratio_steady"] = round(sn / s1, 4) if s1 and sn else None
    out["ratio_first_5s"] = round(fn / f1, 4) if f1 and fn else None
    log(f"many producers: {n} vs 1 steady {out['ratio_steady']}, first 5 s {out['ratio_first_5s']}; "
        f"ack p99 {out.get('ack_p99_ms_1')} / {out.get(f'ack_p99_ms_{n}')} ms")


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
