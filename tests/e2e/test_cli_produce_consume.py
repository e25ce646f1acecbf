"""`spate produce` and `spate consume` against the real broker, cross-checked with confluent-kafka."""
import json
import subprocess

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from cli_support import SPATE, as_json, failure, ok, spate
from conftest import confluent_read_all


def produce_with_confluent(broker, topic, records, **config):
    """records: [(partition, key, value, headers, timestamp_ms)]"""
    p = Producer({"bootstrap.servers": broker.bootstrap, **config})
    for partition, key, value, headers, ts in records:
        p.produce(topic, key=key, value=value, partition=partition, headers=headers, timestamp=ts or 0)
    assert p.flush(30) == 0


def test_produce_lines_with_keys_headers_and_partition_reports_offsets(broker):
    lines = "k1:v1\nk2:v2:with:colons\nno-separator\n"
    summary = as_json(broker, "produce", "orders", "--key-separator", ":", "-H", "source=cli", "-H", "n=1",
                      "-p", "1", input=lines)
    assert summary == {"topic": "orders", "count": 3,
                       "partitions": [{"partition": 1, "count": 3, "first_offset": 0, "last_offset": 2}]}
    got = confluent_read_all(broker.bootstrap, "orders", {1: 3})[1]
    assert [(m.key(), m.value()) for m in got] == [(b"k1", b"v1"), (b"k2", b"v2:with:colons"),
                                                   (None, b"no-separator")]
    assert all(m.headers() == [("source", b"cli"), ("n", b"1")] for m in got)


def test_produce_summary_goes_to_stderr_as_a_table(broker):
    result = spate("produce", "events", "-b", broker.bootstrap, input="a\nb\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "produced 2 records to events" in result.stderr
    assert "0          2        0             1" in result.stderr


@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4", "zstd"])
def test_produce_with_compression_and_acks(broker, codec):
    values = [f"value-{i}" * 20 for i in range(50)]
    summary = as_json(broker, "produce", "events", "--compression", codec, "--acks", "1",
                      input="\n".join(values) + "\n")
    assert summary["count"] == 50
    got = confluent_read_all(broker.bootstrap, "events", {0: 50})[0]
    assert [m.value().decode() for m in got] == values


def test_produce_failures_exit_1_with_one_line(broker):
    line = failure(spate("produce", "nope", "-b", broker.bootstrap, input="x\n"))
    assert "UNKNOWN_TOPIC_OR_PART" in line and "nope" in line
    line = failure(spate("produce", "orders", "-p", "9", "-b", broker.bootstrap, input="x\n"))
    assert "no partition 9" in line
    assert spate("produce", "orders", "--compression", "brotli", "-b", broker.bootstrap).returncode == 2
    assert spate("produce", "orders", "-H", "novalue", "-b", broker.bootstrap, input="x\n").returncode == 2


def test_consume_format_placeholders_and_json(broker):
    produce_with_confluent(broker, "orders", [
        (2, b"k", b"hello", [("h", b"1"), ("e", b"")], 1_700_000_000_000),
        (2, None, b"world", None, 1_700_000_000_001),
    ])
    out = ok(broker, "consume", "orders", "--format", r"%T|%p|%o|%t|%k|%v|%h\n")
    assert out.splitlines() == ["orders|2|0|1700000000000|k|hello|h=1,e=", "orders|2|1|1700000000001||world|"]
    out = ok(broker, "consume", "orders", "--json")
    records = [json.loads(line) for line in out.splitlines()]
    assert records == [
        {"topic": "orders", "partition": 2, "offset": 0, "timestamp": 1700000000000, "key": "k", "value": "hello",
         "headers": [{"key": "h", "value": "1"}, {"key": "e", "value": ""}]},
        {"topic": "orders", "partition": 2, "offset": 1, "timestamp": 1700000000001, "key": None, "value": "world",
         "headers": []},
    ]
    # The default format is the value and a newline.
    assert ok(broker, "consume", "orders") == "hello\nworld\n"


def test_consume_start_offsets_and_num(broker):
    produce_with_confluent(broker, "events", [(0, None, f"v{i}".encode(), None, 1_000_000 + i * 1000)
                                              for i in range(10)])
    def values(*args):
        return ok(broker, "consume", "events", *args).split()
    assert values() == [f"v{i}" for i in range(10)]
    assert values("--offset", "beginning", "--num", "3") == ["v0", "v1", "v2"]
    assert values("--offset", "7") == ["v7", "v8", "v9"]
    assert values("--offset", "-2") == ["v8", "v9"]
    assert values("--offset", "@1004500") == ["v5", "v6", "v7", "v8", "v9"]
    assert values("--offset", "@9999999999") == []
    assert values("--offset", "end") == []
    # Piped, so no progress on stderr.
    result = spate("consume", "events", "--num", "5", "-b", broker.bootstrap)
    assert result.returncode == 0 and result.stderr == "" and len(result.stdout.split()) == 5


def test_consume_with_a_group_commits_what_it_printed(broker):
    produce_with_confluent(broker, "events", [(0, None, f"v{i}".encode(), None, None) for i in range(6)])
    assert ok(broker, "consume", "events", "--group", "readers", "--num", "4").split() == ["v0", "v1", "v2", "v3"]
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "readers"})
    try:
        assert c.committed([TopicPartition("events", 0)], timeout=10)[0].offset == 4
    finally:
        c.close()
    # The next member of the group continues from the commit and stops at the end.
    assert ok(broker, "consume", "events", "--group", "readers").split() == ["v4", "v5"]
    assert ok(broker, "consume", "events", "--group", "readers").split() == []


def test_consume_follow_waits_for_new_records(broker):
    produce_with_confluent(broker, "events", [(0, None, b"first", None, None)])
    proc = subprocess.Popen([str(SPATE), "consume", "events", "--follow", "--num", "2", "-b", broker.bootstrap],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "first\n"
        assert proc.poll() is None  # it needs a second record, and --follow does not stop at the end
        produce_with_confluent(broker, "events", [(0, None, b"second", None, None)])
        assert proc.stdout.readline() == "second\n"
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_consume_isolation_levels_see_or_skip_an_open_transaction(broker):
    p = Producer({"bootstrap.servers": broker.bootstrap, "transactional.id": "cli-txn"})
    p.init_transactions(30)
    p.begin_transaction()
    p.produce("events", value=b"pending", partition=0)
    assert p.flush(30) == 0
    try:
        assert ok(broker, "consume", "events", "--isolation", "read_uncommitted", timeout=60) == "pending\n"
        assert ok(broker, "consume", "events", timeout=60) == ""  # read_committed is the default
    finally:
        p.abort_transaction(30)


def test_consume_errors(broker):
    line = failure(spate("consume", "nope", "-b", broker.bootstrap, timeout=60))
    assert "UNKNOWN_TOPIC_OR_PART" in line
    for args in (["--offset", "soon"], ["--group", "g", "--offset", "5"], ["--isolation", "dirty"]):
        assert spate("consume", "events", *args, "-b", broker.bootstrap).returncode == 2, args
    failure(spate("consume", "events", "-b", "127.0.0.1:1", "--timeout", "1500", timeout=30))
