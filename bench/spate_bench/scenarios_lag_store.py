"""The lag history store on its own (bench/lag_store_bench)."""
from __future__ import annotations

import json
import os

from .load import Bench
from .procs import log, run, tail


def run_lag_store(bench: Bench, tools_dir: str, workdir: str) -> None:
    """The lag history store (bench/lag_store_bench.cc): record() per tick for 10,000 partitions
    (1,000 groups x 10, 20% active) and the database growth per hour; 15 simulated minutes
    (3 quick), a few seconds. Only when the tools are built with the top level (it links spate_lag)."""
    name = "lag_store_10k_partitions"
    binary = os.path.join(tools_dir, "lag_store_bench")
    if not bench.wanted(name) or not os.path.exists(binary):
        return
    hours = "0.05" if bench.args.quick else "0.25"
    cmd = [binary, "--groups", "1000", "--partitions", "10", "--active", "0.2", "--hours", hours, "--dir", workdir]
    log(f"{name}: {hours} h of 10 s ticks")
    rc, out, err = run(cmd, timeout=120)
    try:
        res = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        res = {"ok": False, "error": f"lag_store_bench exited {rc} without JSON: {tail(err)}"}
    res["command"] = " ".join(cmd)
    bench.scenarios[name] = res
