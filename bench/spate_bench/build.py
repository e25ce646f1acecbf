"""Building spate and the bench tools (or finding them, with --no-build)."""
from __future__ import annotations

import os
import shutil

from .procs import log, run, tail


# This file is bench/spate_bench/build.py: the repository is three levels up.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def bench_in_top_level() -> bool:
    try:
        with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
            return any(line.strip().startswith("add_subdirectory(bench") for line in f)
    except OSError:
        return False


def build(args) -> tuple[str, str, str, str]:
    """Returns (spate, spate_load, mock_cluster, null_broker) paths, building as needed. null_broker
    exists only when the tools are built with the top level (it links the protocol module)."""
    bdir = os.path.abspath(args.build_dir)
    integrated = bench_in_top_level()
    tools_dir = os.path.join(bdir, "bench") if integrated else os.path.join(bdir, "bench-tools")
    spate = os.path.abspath(args.spate) if args.spate else os.path.join(bdir, "spate")
    load, mock = os.path.join(tools_dir, "spate_load"), os.path.join(tools_dir, "mock_cluster")
    null = os.path.join(tools_dir, "null_broker")
    if args.no_build:
        return spate, load, mock, null
    gen = ["-G", "Ninja"] if shutil.which("ninja") else []
    targets = []
    if not args.spate:
        targets.append("spate")
    if integrated:
        targets += ["spate_load", "mock_cluster", "lag_store_bench", "null_broker"]
    if targets:
        log(f"building {', '.join(targets)} in {bdir} (Release)")
        if not os.path.exists(os.path.join(bdir, "CMakeCache.txt")):
            rc, out, err = run(["cmake", "-S", ROOT, "-B", bdir, *gen, "-DCMAKE_BUILD_TYPE=Release",
                                "-DSPATE_TESTS=OFF"], timeout=600)
            if rc != 0:
                raise SystemExit(f"cmake configure failed:\n{tail(out + err, 30)}")
        rc, out, err = run(["cmake", "--build", bdir, "--target", *targets], timeout=3600)
        if rc != 0:
            raise SystemExit(f"build failed:\n{tail(out + err, 30)}")
    if not integrated:
        log(f"building bench tools standalone in {tools_dir}")
        if not os.path.exists(os.path.join(tools_dir, "CMakeCache.txt")):
            rc, out, err = run(["cmake", "-S", os.path.join(ROOT, "bench"), "-B", tools_dir, *gen,
                                "-DCMAKE_BUILD_TYPE=Release"], timeout=600)
            if rc != 0:
                raise SystemExit(f"cmake configure (bench) failed:\n{tail(out + err, 30)}")
        rc, out, err = run(["cmake", "--build", tools_dir], timeout=1200)
        if rc != 0:
            raise SystemExit(f"bench build failed:\n{tail(out + err, 30)}")
    return spate, load, mock, null
