#!/usr/bin/python3
"""A/B of two or more spate binaries on the data path, alternating in the same minutes.

    bench/ab.py --spate A,B [--rounds 3] [--produce-s 12] [--records 2000000] [--scenarios produce,consume1,consume8]

The machine is shared and noisy, so figures of separate runs are not comparable: this runs each
scenario for every binary in turn, round after round, each on a fresh broker (fresh data directory),
and prints one JSON object per measurement (binary, scenario, round, MB/s, broker CPU-s per GB).
Scenarios, all 1 KiB records with page-cache durability (log.flush.interval.messages=max) unless
said otherwise:
  produce   acks=1 into one partition for --produce-s seconds, the default page-cache window;
  produce_all  the same with acks=all and the default durability (fsync before the ack);
  consume1  --records produced into one partition, then consumed back from the page cache
            (log.page.cache.keep.bytes=-1), the consume timed;
  consume8  the same with eight partitions.
Needs build/bench/spate_load (or --load). Standard library only.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

INT64_MAX = str(2**63 - 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Broker:
    def __init__(self, binary: str, workdir: str, settings: dict[str, str]):
        self.data = tempfile.mkdtemp(prefix="ab-data-", dir=workdir)
        self.bootstrap = f"127.0.0.1:{free_port()}"
        cmd = [binary, "serve", "--listen", self.bootstrap, "--data-dir", self.data,
               "--set", "admin.listeners=127.0.0.1:0"]
        for key, value in ({"log.flush.interval.messages": INT64_MAX} | settings).items():
            cmd += ["--set", f"{key}={value}"]
        self.log_path = os.path.join(self.data, "broker.log")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(self.log_path, "w"))
        deadline = time.monotonic() + 30
        while " ready " not in open(self.log_path).read():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{binary} did not become ready: {open(self.log_path).read()[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.data, ignore_errors=True)


def load(tool: str, args: list[str]) -> dict:
    out = subprocess.run([tool, *args], capture_output=True, text=True, timeout=300)
    try:
        result = json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RuntimeError(f"spate_load {args[0]} printed no JSON: {out.stderr[-2000:]}")
    if not result.get("ok"):
        raise RuntimeError(f"spate_load {args[0]} failed: {result.get('error')}")
    return result


def measure(tool: str, binary: str, scenario: str, args) -> dict:
    partitions = 8 if scenario == "consume8" else 1
    settings = {"topics": f"t:{partitions}"}
    producing = scenario in ("produce", "produce_all")
    if not producing:
        settings["log.page.cache.keep.bytes"] = "-1"  # read back from the page cache
    if scenario == "produce_all":
        settings["log.flush.interval.messages"] = "1"  # the default: fsync before the ack
    b = Broker(binary, args.workdir, settings)
    try:
        acks = "all" if scenario == "produce_all" else "1"  # all: the default durability, fsync before the ack
        produce = ["produce", "-b", b.bootstrap, "-t", "t", "-s", "1024", "--acks", acks, "--linger-ms", "5"]
        if producing:
            before = cpu_s(b.proc.pid)
            r = load(tool, produce + ["-n", "1000000000", "--duration-s", str(args.produce_s), "--timeout-s",
                                      str(args.produce_s + 60)])
        else:
            load(tool, produce + ["-n", str(args.records), "--timeout-s", "120"])
            before = cpu_s(b.proc.pid)
            r = load(tool, ["consume", "-b", b.bootstrap, "-t", "t", "-n", str(args.records), "--timeout-s", "120"])
        broker_cpu = cpu_s(b.proc.pid) - before
    finally:
        b.stop()
    return {"mb_per_s": r["mb_per_s"], "steady_mb_per_s": r.get("steady_mb_per_s"),
            "broker_cpu_s_per_gb": round(broker_cpu / (r["bytes"] / 1e9), 3)}


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spate", required=True, help="comma-separated spate binaries to compare")
    ap.add_argument("--load", default=os.path.join(here, "..", "build", "bench", "spate_load"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--produce-s", type=int, default=12)
    ap.add_argument("--records", type=int, default=2_000_000)
    ap.add_argument("--scenarios", default="produce,consume1,consume8",
                    help="comma-separated: produce (acks=1), produce_all (acks=all), consume1, consume8")
    ap.add_argument("--workdir", default=os.path.join(here, "..", "build"),
                    help="parent of the brokers' data directories (decides which disk is measured)")
    args = ap.parse_args()
    binaries = args.spate.split(",")
    for binary in binaries + [args.load]:
        if not os.access(binary, os.X_OK):
            print(f"ab.py: not an executable: {binary}", file=sys.stderr)
            return 2
    for rnd in range(args.rounds):
        for scenario in args.scenarios.split(","):
            for binary in binaries:
                row = {"binary": binary, "scenario": scenario, "round": rnd}
                try:
                    row.update(measure(args.load, binary, scenario, args))
                except RuntimeError as e:
                    row["error"] = str(e)
                print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
