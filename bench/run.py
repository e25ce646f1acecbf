#!/usr/bin/python3
"""spate benchmark runner: one command, one JSON document on stdout.

    bench/run.sh [--quick] [--no-build] [--spate PATH] [--only NAME,...] [--keep]

Builds what it needs (spate in build-bench/, Release; the bench tools with it when the top-level
CMakeLists.txt includes bench/, else standalone in build-bench/bench-tools), starts two spate
brokers on free loopback ports with temporary data directories, librdkafka's mock cluster as a
reference peer and bench/null_broker (stores nothing) as the load tool's ceiling, runs the scenarios, measures the machine's limits (fio, iperf3) and prints one JSON
document: scenarios, machine, broker resource use, the target ratios with pass/fail, git commit,
date. Progress goes to stderr. See bench/README.md.

Standard library only; runs under /usr/bin/python3 (Debian 12). The code is the package next to
this file, bench/spate_bench/, one module per part: procs (commands, children, /proc), build,
profiles, brokers, load (the load tool's runs), the scenarios_* modules, machine (fio, iperf3, git),
targets (the ratios and pass/fail) and main (arguments and the JSON document).
"""
import os
import sys

# Run as a script, this directory is already on the path; imported from elsewhere, it may not be.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from spate_bench.main import main  # noqa: E402 - after the path is set

if __name__ == "__main__":
    sys.exit(main())
