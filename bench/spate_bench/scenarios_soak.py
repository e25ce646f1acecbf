"""--soak: a long paced produce with a consumer group member, on a durable broker."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time

from .brokers import WRITE_RATE_BOUND, Broker, retention_deleted_bytes, retention_settings
from .load import Bench
from .procs import CHILDREN, log, mb_from_kb, proc_status_kb, tail
from .profiles import SUSTAINED_COUNT


SOAK_PARTITIONS = 8


def run_soak(bench: Bench, spate: str, workdir: str, out: dict) -> None:
    """--soak: a fresh durable broker (spate's defaults: fsync before ack), 1 KiB records, acks=all.
    First a short run at full speed (soak_max_s) measures the maximum; then, on another topic
    (8 partitions), a producer paced at half that steady rate for soak_minutes while a consumer
    group member reads it. Reports throughput per minute, ack p99 of the first and the last window
    (5 minutes; a quarter of a soak shorter than 20 minutes), the broker's RSS every 10 s and its
    growth from the end of the first window to the end, and every error. The broker has size
    retention within the disk budget (retention_settings), which deletes the oldest segments as the
    soak goes."""
    if not (bench.args.soak or (bench.only and "soak" in bench.only)):  # never part of the default profile
        return
    p = bench.args.profile
    total_s = float(p["soak_minutes"]) * 60
    window_s = min(300.0, total_s / 4)
    out.update({"ran": True, "ok": False, "minutes": p["soak_minutes"], "window_s": window_s,
                "partitions": SOAK_PARTITIONS, "size": 1024, "acks": "all"})
    if not os.path.exists(spate):
        out["error"] = f"no spate binary at {spate}"
        return
    topics = [("bench-soak-max", SOAK_PARTITIONS), ("bench-soak", SOAK_PARTITIONS)]
    # Half the maximum for 30 minutes writes hundreds of GB: size retention keeps the broker's logs
    # within the disk budget, deleting the oldest segments as it goes (the consumer must stay within
    # a partition's retention of the producer: consumer_lag_tolerance_s below).
    settings = retention_settings(bench.args.disk_budget, sum(n for _, n in topics),
                                  (p["soak_max_s"] + total_s) * WRITE_RATE_BOUND)
    out["retention"] = settings
    b = Broker("soak", spate, workdir, settings, topics)
    log(f"soak: starting spate (defaults: fsync before ack) on {b.bootstrap}")
    if not b.start():
        out["error"] = f"broker did not start: {b.error}"
        out["broker"] = b.stop()
        return
    try:
        for t, _ in topics:
            bench.wait_topic(b.bootstrap, t)
        meta = {"target": "spate", "durability": "fsync before ack (defaults)", "broker": "soak"}
        mx = bench.produce("soak_max", b.bootstrap, "bench-soak-max", SUSTAINED_COUNT, 1024, "all", b, meta,
                           duration=p["soak_max_s"], force=True)
        if not mx or not mx.get("ok") or not mx.get("steady_msgs_per_s"):
            out["error"] = f"the maximum-rate run failed: {(mx or {}).get('error')}"
            return
        rate = round(float(mx["steady_msgs_per_s"]) / 2, 1)
        out["max_msgs_per_s"] = mx["steady_msgs_per_s"]
        out["max_mb_per_s"] = mx["steady_mb_per_s"]
        out["rate_msgs_per_s"] = rate
        if "log.retention.bytes" in settings:  # how far behind the consumer may fall before data is deleted
            out["consumer_lag_tolerance_s"] = round(int(settings["log.retention.bytes"]) * SOAK_PARTITIONS
                                                    / (rate * 1024), 1)
        cons_cmd = [bench.load, "consume", "-b", b.bootstrap, "-t", "bench-soak", "--label", "soak_consume",
                    "--group", "bench-soak", "-n", str(SUSTAINED_COUNT), "--duration-s", str(total_s + 300),
                    "--idle-stop-s", "15", "--timeout-s", str(total_s + 330), "--stall-s", str(total_s + 330)]
        prod_cmd = [bench.load, "produce", "-b", b.bootstrap, "-t", "bench-soak", "--label", "soak_produce",
                    "-n", str(SUSTAINED_COUNT), "-s", "1024", "--acks", "all", "--linger-ms", "5",
                    "--max-rate", str(rate), "--duration-s", str(total_s), "--timeout-s", str(total_s + 60),
                    "--stall-s", "60", "--ack-window-s", str(window_s)]
        out["consumer_command"], out["producer_command"] = " ".join(cons_cmd), " ".join(prod_cmd)
        log(f"soak: {p['soak_minutes']} min at {rate} msgs/s (half of {mx['steady_msgs_per_s']}), "
            f"acks=all, consumer group bench-soak")
        files = {k: tempfile.TemporaryFile("w+") for k in ("co", "ce", "po", "pe")}
        try:
            cons = CHILDREN.add(subprocess.Popen(cons_cmd, stdin=subprocess.DEVNULL, stdout=files["co"],
                                                 stderr=files["ce"], text=True))
            prod = CHILDREN.add(subprocess.Popen(prod_cmd, stdin=subprocess.DEVNULL, stdout=files["po"],
                                                 stderr=files["pe"], text=True))
            t0 = time.monotonic()
            cpu0 = b.cpu_s()
            rss: list[tuple[float, float]] = []
            next_log = 60.0
            every = min(10.0, window_s / 5)  # RSS samples: at least 5 per window
            while prod.poll() is None and time.monotonic() - t0 < total_s + 120:
                try:
                    prod.wait(timeout=every)
                except subprocess.TimeoutExpired:
                    pass
                kb = proc_status_kb(b.pid, "VmRSS") if b.alive() else None
                if kb is not None and prod.poll() is None:
                    rss.append((round(time.monotonic() - t0, 1), mb_from_kb(kb)))
                if time.monotonic() - t0 >= next_log:
                    log(f"soak: {next_log / 60:.0f} min, broker RSS {rss[-1][1] if rss else None} MB")
                    next_log += 60
            if prod.poll() is None:
                CHILDREN.stop(prod)
            try:  # it stops 15 s after the last message (caught up), at most 300 s after the start
                cons.wait(timeout=max(60.0, total_s + 330 - (time.monotonic() - t0)))
            except subprocess.TimeoutExpired:
                CHILDREN.stop(cons)
            cpu1 = b.cpu_s()

            def result(o: str, e: str, proc: subprocess.Popen) -> dict:
                files[o].seek(0)
                files[e].seek(0)
                text = files[o].read()
                try:
                    return json.loads(text.strip().splitlines()[-1])
                except (ValueError, IndexError):
                    return {"ok": False, "error": f"exit {proc.returncode} without JSON: {tail(files[e].read())}"}

            pr, cr = result("po", "pe", prod), result("co", "ce", cons)
        finally:
            for f in files.values():
                f.close()
        pr.pop("per_second_msgs", None)
        bench.scenarios["soak_produce"] = dict(pr, **meta)
        bench.scenarios["soak_consume"] = dict(cr, **meta)

        def per_minute(per_s: list[float]) -> list[float]:  # complete minutes only, MB/s
            return [round(sum(per_s[i:i + 60]) / 60, 3) for i in range(0, len(per_s) - 59, 60)]

        out["produce_mb_per_s_per_minute"] = per_minute(pr.get("per_second_mb") or [])
        out["consume_mb_per_s_per_minute"] = per_minute(cr.get("per_second_mb") or [])
        out["produce_steady_mb_per_s"] = pr.get("steady_mb_per_s")
        out["delivered"], out["consumed"] = pr.get("delivered"), cr.get("consumed")
        out["consumer_behind_at_end"] = ((pr.get("delivered") or 0) - (cr.get("consumed") or 0)
                                         if pr.get("ok") and cr.get("ok") else None)
        wins = [w for w in pr.get("ack_ms_windows") or [] if w["to_s"] - w["from_s"] >= window_s - 1]
        if wins:
            out["ack_p99_ms_first"] = wins[0]["p99"]
            out["ack_p99_ms_last"] = wins[-1]["p99"]
            out["ack_windows"] = wins
            if wins[0]["p99"]:
                out["soak_ack_p99_last_vs_first"] = round(wins[-1]["p99"] / wins[0]["p99"], 3)
        out["ack_ms"] = pr.get("ack_ms")
        out["broker_rss_mb"] = rss
        # Growth: the median RSS sample of the last window over that of the first (a single sample
        # swings by 10-20 % with the buffers in flight).
        first_w = sorted(m for t, m in rss if t <= window_s)
        last_w = sorted(m for t, m in rss if t >= total_s - window_s)
        if first_w and last_w:
            base, end = first_w[len(first_w) // 2], last_w[len(last_w) // 2]
            out["rss_mb_first_window_median"], out["rss_mb_last_window_median"] = base, end
            out["soak_rss_growth_pct"] = round((end / base - 1) * 100, 2)
        errors = ((pr.get("failed") or 0) + (pr.get("undelivered") or 0) + (cr.get("errors") or 0)
                  + (0 if pr.get("ok") else 1) + (0 if cr.get("ok") else 1) + (0 if b.alive() else 1))
        out["soak_errors"] = errors
        out["errors_detail"] = {"delivery_failed": pr.get("failed"), "undelivered": pr.get("undelivered"),
                                "consumer_errors": cr.get("errors"), "producer_ok": pr.get("ok"),
                                "consumer_ok": cr.get("ok"), "producer_error": pr.get("error"),
                                "consumer_error": cr.get("error"), "broker_alive": b.alive()}
        if cpu0 is not None and cpu1 is not None:
            out["broker_cpu_s"] = round(cpu1 - cpu0, 2)
            gb = ((pr.get("bytes") or 0) + (cr.get("bytes") or 0)) / 1e9
            out["broker_cpu_s_per_gb"] = round((cpu1 - cpu0) / gb, 3) if gb else None  # produced + consumed
        out["retention_deleted_mb"] = round(retention_deleted_bytes(b) / 1e6, 1)
        out["ok"] = bool(pr.get("ok") and cr.get("ok"))
        log(f"soak: ack p99 first {out.get('ack_p99_ms_first')} ms, last {out.get('ack_p99_ms_last')} ms; "
            f"RSS growth {out.get('soak_rss_growth_pct')} %; errors {errors}")
    finally:
        out["broker"] = b.stop()
        shutil.rmtree(b.data, ignore_errors=True)
