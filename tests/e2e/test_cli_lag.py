"""`spate lag`: the broker's built-in lag monitor through its admin API, as tables, JSON, history and
a watch; errors exit 1 with one line, usage errors 2. Offsets are checked against what the test
produced and committed."""
import json
import os
import re
import subprocess
import time

from conftest import SPATE, free_port, wait_until
from lag_cli_support import commit_as_group, group_of, produce

PER_PARTITION = 10
COMMITTED = {0: 4, 1: 10, 2: 0}
WANT_TOTAL = sum(PER_PARTITION - c for c in COMMITTED.values())


def spate_lag(*args, env=None):
    return subprocess.run([str(SPATE), "lag", *map(str, args)], capture_output=True, text=True, timeout=30,
                          env={**os.environ, **(env or {})})


def ok(*args, env=None):
    result = spate_lag(*args, env=env)
    assert result.returncode == 0, f"spate lag {args} exited {result.returncode}: {result.stderr}"
    return result.stdout


def cells(line):
    return re.split(r"  +", line.strip())


def sampled_broker(start_broker):
    b = start_broker("--set", "topics=orders:3", "--set", "lag.sample.interval.ms=200")
    produce(b.bootstrap, PER_PARTITION)
    commit_as_group(b.bootstrap, "billing", COMMITTED)
    wait_until(lambda: (g := group_of(b.admin_url, "billing")) and g["total_lag"] == WANT_TOTAL, 15,
               "the monitor to see billing's lag")
    return b


def test_lag_lists_groups_with_their_offset_lag(start_broker):
    b = sampled_broker(start_broker)
    lines = ok("--admin", b.admin_url).splitlines()
    assert lines[0].startswith("cluster local  sampled "), lines
    assert cells(lines[1]) == ["GROUP", "STATUS", "OFFSET_LAG", "TIME_LAG", "ETA", "STATE", "MEMBERS", "REASON"]
    rows = {cells(line)[0]: cells(line) for line in lines[2:]}
    assert rows["billing"][2] == str(WANT_TOTAL), lines
    assert rows["billing"][5] == "Empty" and rows["billing"][6] == "0", lines

    # $SPATE_ADMIN stands in for --admin; --json is the API's document.
    body = json.loads(ok("--json", env={"SPATE_ADMIN": b.admin_url}))
    assert body["cluster"] == "local" and body["error"] is None and body["sample_interval_ms"] == 200
    billing = next(g for g in body["groups"] if g["group"] == "billing")
    assert billing["total_lag"] == WANT_TOTAL
    assert billing["max_lag"] == PER_PARTITION - min(COMMITTED.values())


def test_lag_group_shows_each_partition(start_broker):
    b = sampled_broker(start_broker)
    detail = json.loads(ok("billing", "--json", "--admin", b.admin_url))
    assert detail["group"] == "billing"
    by_partition = {p["partition"]: p for p in detail["partitions"]}
    assert sorted(by_partition) == [0, 1, 2]
    for partition, committed in COMMITTED.items():
        p = by_partition[partition]
        assert (p["committed_offset"], p["end_offset"], p["offset_lag"]) == \
            (committed, PER_PARTITION, PER_PARTITION - committed), p
        assert (p["time_lag_ms"] > 0) == (committed < PER_PARTITION), p

    lines = ok("billing", "--admin", b.admin_url).splitlines()
    assert lines[0].startswith("group billing  "), lines
    assert f"offset lag {WANT_TOTAL} " in lines[1], lines
    header = next(i for i, line in enumerate(lines) if line.startswith("TOPIC"))
    assert cells(lines[header]) == ["TOPIC", "PARTITION", "STATUS", "COMMITTED", "END", "LAG", "TIME_LAG",
                                    "CONSUME_RATE", "PRODUCE_RATE", "ETA", "OWNER"]
    rows = [cells(line) for line in lines[header + 1:]]
    assert [(r[0], r[1], r[3], r[4], r[5]) for r in rows] == \
        [("orders", str(p), str(c), str(PER_PARTITION), str(PER_PARTITION - c)) for p, c in sorted(COMMITTED.items())]


def test_lag_history_has_the_sampled_points(start_broker):
    b = sampled_broker(start_broker)
    history = json.loads(ok("billing", "--history", "1h", "--json", "--admin", b.admin_url))
    assert history["group"] == "billing"
    now_ms = time.time() * 1000
    points = [p for p in history["points"] if p["topic"] == "orders" and p["partition"] == 2]
    assert points, history
    assert all(now_ms - 3_600_000 - 5000 <= p["at_ms"] <= now_ms + 5000 for p in points)
    assert points[-1]["committed_offset"] == 0 and points[-1]["offset_lag"] == PER_PARTITION

    text = ok("billing", "--history", "1h", "--admin", b.admin_url)
    lines = text.splitlines()
    assert lines[0] == "history of group billing"
    assert cells(lines[1])[:3] == ["AT_UTC", "TOPIC", "PARTITION"]
    assert any(cells(line)[1:3] == ["orders", "2"] for line in lines[2:]), text


def test_lag_watch_prints_once_per_interval_when_piped(start_broker):
    b = sampled_broker(start_broker)
    proc = subprocess.Popen([str(SPATE), "lag", "--watch", "--admin", b.admin_url], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        seen = []
        deadline = time.monotonic() + 15
        while sum(line.startswith("cluster local") for line in seen) < 3:
            assert time.monotonic() < deadline, seen
            seen.append(proc.stdout.readline())
        # Piped output has no terminal control sequences.
        assert not any("\x1b" in line for line in seen)
        assert any(line.startswith("billing ") for line in seen)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_lag_errors_and_usage(start_broker):
    port = free_port()
    unreachable = spate_lag("--admin", f"http://127.0.0.1:{port}")
    assert unreachable.returncode == 1
    assert len(unreachable.stderr.splitlines()) == 1, unreachable.stderr
    assert unreachable.stderr.startswith(f"spate lag: cannot reach the admin API at http://127.0.0.1:{port}")

    b = start_broker("--set", "lag.sample.interval.ms=200")
    unknown = spate_lag("nope", "--admin", b.admin_url)
    assert unknown.returncode == 1 and len(unknown.stderr.splitlines()) == 1, unknown
    assert "404" in unknown.stderr

    off = start_broker("--set", "lag.enabled=false")
    disabled = spate_lag("--admin", off.admin_url)
    assert disabled.returncode == 1
    assert disabled.stderr == (f"spate lag: no lag monitor at {off.admin_url} "
                               "(a broker with lag.enabled=false, or not spate)\n")

    assert spate_lag("--history", "1h", "--admin", b.admin_url).returncode == 2  # needs a GROUP
    assert spate_lag("billing", "--history", "soon", "--admin", b.admin_url).returncode == 2
    assert spate_lag("--bogus").returncode == 2
