"""Arguments, the order the scenarios run in, and the JSON document on stdout."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import tempfile
import time

from .brokers import DISK_BUDGET_FRACTION, RETENTION_CHECK_MS, WRITE_RATE_BOUND
from .build import ROOT, build
from .load import Bench
from .machine import FIO_MEAN_KEYS, git_info, machine_info, run_fio, run_fio_buffered, run_fio_direct, run_iperf
from .procs import CHILDREN, T0, log
from .profiles import PROFILES
from .scenarios_lag_store import run_lag_store
from .scenarios_many import run_many_partitions, run_many_producers
from .scenarios_offsets import run_offsets_replay
from .scenarios_pairs import run_acl_pair, run_cleaner_pair, run_lag_pair, run_metrics_pair, run_quota_pair
from .scenarios_peers import mean_of_rounds, run_peers_around
from .scenarios_soak import run_soak
from .scenarios_spate import run_spate
from .scenarios_tls import run_tls_pair
from .targets import idle_rss, log_targets, ratios


def main() -> int:
    ap = argparse.ArgumentParser(description="spate benchmark: prints one JSON document on stdout")
    ap.add_argument("--quick", action="store_true", help="small counts: a smoke test in well under a minute")
    ap.add_argument("--no-build", action="store_true", help="use existing binaries, build nothing")
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build-bench"), help="default: build-bench")
    ap.add_argument("--spate", help="spate binary to benchmark (default: <build-dir>/spate, built)")
    ap.add_argument("--partitions", type=int, default=1, help="partitions per benchmark topic (default 1)")
    ap.add_argument("--only", help="comma-separated scenario names (and/or fio, iperf3) to run")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (data, broker logs)")
    ap.add_argument("--workdir", help="parent of the temporary directory (default: the repo's build dir); "
                                      "fio and the brokers write here, so it decides which disk is measured")
    ap.add_argument("--soak", action="store_true",
                    help="run the soak only (soak_minutes, default 30: --soak-minutes M), not the default scenarios")
    ap.add_argument("--disk-budget-gb", type=float,
                    help=f"most a broker's logs may use on disk (GB; default {DISK_BUDGET_FRACTION * 100:.0f} %% "
                         "of the work directory's free space at the start): runs that could write more get "
                         "size retention")
    for k in PROFILES["default"]:
        ap.add_argument(f"--{k.replace('_', '-')}", dest=f"ov_{k}", help=f"override the profile's {k}")
    args = ap.parse_args()
    if args.soak and not args.only:
        args.only = "soak"
    args.profile = dict(PROFILES["quick" if args.quick else "default"])
    for k, v in list(args.profile.items()):
        ov = getattr(args, f"ov_{k}")
        if ov is not None:
            args.profile[k] = type(v)(ov) if not isinstance(v, str) else ov

    started = dt.datetime.now(dt.timezone.utc)
    spate, load, mock, null = build(args)
    for path in (load, mock):
        if not os.path.exists(path):
            raise SystemExit(f"missing {path}: run without --no-build")

    parent = args.workdir or os.path.abspath(args.build_dir)
    os.makedirs(parent, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="spate-bench-", dir=parent)
    log(f"work directory {workdir}")
    free = shutil.disk_usage(workdir).free
    args.disk_budget = int(args.disk_budget_gb * 1e9) if args.disk_budget_gb else int(free * DISK_BUDGET_FRACTION)
    disk = {"free_gb_at_start": round(free / 1e9, 1), "budget_gb": round(args.disk_budget / 1e9, 1),
            "budget_from": "--disk-budget-gb" if args.disk_budget_gb else f"{DISK_BUDGET_FRACTION:.0%} of free space",
            "write_rate_bound_gb_per_s": WRITE_RATE_BOUND / 1e9, "retention_check_ms": RETENTION_CHECK_MS}
    log(f"disk: {disk['free_gb_at_start']} GB free, brokers' logs capped at {disk['budget_gb']} GB")

    def on_signal(signum, _frame):
        CHILDREN.stop_all()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    bench = Bench(args, load, workdir)
    machine = machine_info()
    brokers: dict = {}
    mock_info: dict = {}
    null_info: dict = {}
    metrics_pair: dict = {}
    lag_pair: dict = {}
    cleaner_pair: dict = {}
    quota_pair: dict = {}
    acl_pair: dict = {}
    tls_pair: dict = {}
    offsets_replay: dict = {}
    many_producers: dict = {}
    soak: dict = {}
    try:
        # The ceilings spate's produce and consume figures are judged against, measured on both
        # sides of them (scenarios_peers.run_peers_around); fio's fdatasync bandwidth, the durable
        # produce's ceiling, outside those.
        fio_before = run_fio(args, workdir) if bench.wanted("fio") else None
        run_peers_around(bench, mock, null, mock_info, null_info,
                         lambda: run_spate(bench, spate, workdir, brokers))
        if fio_before is not None:
            machine["fio"] = mean_of_rounds(fio_before, run_fio(args, workdir), FIO_MEAN_KEYS)
        run_metrics_pair(bench, spate, workdir, metrics_pair)
        run_lag_pair(bench, spate, workdir, lag_pair)
        run_cleaner_pair(bench, spate, workdir, cleaner_pair)
        run_quota_pair(bench, spate, workdir, quota_pair)
        run_acl_pair(bench, spate, workdir, acl_pair)
        run_tls_pair(bench, spate, workdir, tls_pair)
        run_offsets_replay(bench, spate, workdir, offsets_replay)
        run_many_partitions(bench, spate, workdir)
        run_many_producers(bench, spate, workdir, many_producers)
        run_soak(bench, spate, workdir, soak)
        run_lag_store(bench, os.path.dirname(load), workdir)
        if bench.wanted("fio") or bench.wanted("fio_buffered"):
            machine["fio_buffered"] = run_fio_buffered(args, workdir)
        if bench.wanted("fio") or bench.wanted("fio_direct"):
            machine["fio_direct"] = run_fio_direct(args, workdir)
        if bench.wanted("iperf3"):
            machine["iperf3"] = run_iperf(args)
        if machine.get("fio", {}).get("ok") and cleaner_pair:
            cleaner_pair["disk_write_mb_per_s"] = machine["fio"]["mb_per_s"]
    finally:
        CHILDREN.stop_all()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    rat = ratios(bench.scenarios, machine, brokers, many_producers, soak, soak_only=args.soak, acls=acl_pair,
                 tls=tls_pair)
    produced = [s for s in bench.scenarios.values() if s.get("target") == "spate" and s.get("mode") == "produce" and s.get("ok")]
    consumed = [s for s in bench.scenarios.values() if s.get("target") == "spate" and s.get("mode") == "consume" and s.get("ok")]

    def cpu_per_gb(rs: list[dict]) -> float | None:
        b = sum(r.get("bytes", 0) for r in rs)
        c = sum(r.get("broker_cpu_s", 0) for r in rs)
        return round(c / (b / 1e9), 3) if b and all("broker_cpu_s" in r for r in rs) else None

    failed = sorted(n for n, s in bench.scenarios.items() if not s.get("ok"))
    failed += [k for k in ("fio", "fio_buffered", "fio_direct", "iperf3") if k in machine and not machine[k].get("ok")]
    if soak.get("ran") and not soak.get("ok"):
        failed.append("soak")
    doc = {
        "spate_bench": 1,
        "date": started.isoformat(timespec="seconds"),
        "git": git_info(),
        "profile": ("soak" if args.soak else "quick" if args.quick else "default"),
        "settings": args.profile | {"partitions": args.partitions},
        "units": "MB = 10^6 bytes of record payload; ms = milliseconds; CPU-s = broker utime+stime",
        "spate_binary": spate,
        # git describes the source tree at run time; with --no-build or --spate the binary may be
        # older than that, so its modification time is recorded too.
        "spate_binary_mtime": (dt.datetime.fromtimestamp(os.path.getmtime(spate), dt.timezone.utc)
                               .isoformat(timespec="seconds") if os.path.exists(spate) else None),
        "built_by_run": not args.no_build and not args.spate,
        "scenarios": bench.scenarios,
        "machine": machine,
        "disk": disk,
        "brokers": brokers,
        "broker_resources": {
            "idle_rss_mb": idle_rss(brokers),
            "peak_rss_mb": max((b.get("peak_rss_mb") or 0 for b in brokers.values()), default=None) or None,
            "cpu_s_per_gb_produced": cpu_per_gb(produced),
            "cpu_s_per_gb_consumed": cpu_per_gb(consumed),
        },
        "mock": mock_info,
        "null_broker": null_info,
        "metrics_overhead": metrics_pair,
        "lag_monitor_overhead": lag_pair,
        "log_cleaner": cleaner_pair,
        "disk_quota_overhead": quota_pair,
        "acl_overhead": acl_pair,
        "tls_overhead": tls_pair,
        "offsets_replay": offsets_replay,
        "many_producers": many_producers,
        "soak": soak,
        "ratios": rat,
        "summary": {
            "targets_passed": sum(1 for r in rat.values() if r["pass"]),
            "targets_total": len(rat),
            "all_targets_pass": all(r["pass"] for r in rat.values()),
            "failed_targets": [k for k, r in rat.items() if r["measured"] and not r["pass"]],
            "unmeasured_targets": [k for k, r in rat.items() if not r["measured"]],
            "failed_runs": failed,
            "duration_s": round(time.monotonic() - T0, 1),
        },
    }
    print(json.dumps(doc, indent=2))
    log_targets(rat)
    log(f"done in {doc['summary']['duration_s']} s: {doc['summary']['targets_passed']}/{len(rat)} targets pass"
        + (f"; failed runs: {', '.join(failed)}" if failed else ""))
    return 0 if not failed else 1
