"""`spate status` and `spate diag`: they read the admin API (--admin URL or $SPATE_ADMIN), print
aligned text or --json, and exit 1 with one line when the API cannot be reached. Values are
cross-checked against the HTTP API and a Kafka client."""
import json
import os
import subprocess
import time
import urllib.request

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import SPATE, free_port


def spate(*args, env=None):
    return subprocess.run([str(SPATE), *args], capture_output=True, text=True, timeout=30,
                          env={**os.environ, **(env or {})})


def http_json(broker, path):
    with urllib.request.urlopen(broker.admin_url + path, timeout=15) as resp:
        return json.loads(resp.read())


def produce(bootstrap, topic, partition, n):
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for i in range(n):
        p.produce(topic, value=b"x" * 100, partition=partition)
    assert p.flush(30) == 0


def test_status_json_matches_the_api_and_kafka(start_broker):
    b = start_broker("--set", "topics=orders:3,events:1")
    result = spate("status", "--json", "--admin", b.admin_url)
    assert result.returncode == 0, result.stderr
    s = json.loads(result.stdout)
    api = http_json(b, "/v1/status")
    for key in ("node_id", "version", "cluster_id", "listeners", "data_dir", "recovery", "counts"):
        assert s[key] == api[key], key
    meta = AdminClient({"bootstrap.servers": b.bootstrap}).list_topics(timeout=15)
    assert s["cluster_id"] == meta.cluster_id
    assert s["counts"]["topics"] == len(meta.topics)
    assert s["listeners"]["kafka"] == b.bootstrap


def test_status_text_is_aligned_key_value(start_broker):
    b = start_broker("--set", "topics=orders:3")
    result = spate("status", env={"SPATE_ADMIN": b.admin_url})
    assert result.returncode == 0, result.stderr
    rows = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition("  ")
        rows[key.strip()] = value.strip()
    assert rows["node id"] == "1"
    assert rows["kafka listener"] == b.bootstrap
    assert rows["admin listener"] == b.admin_url.removeprefix("http://")
    assert rows["ready"] == "yes"
    assert rows["recovery"].startswith("new_data_dir")
    # Values start in one column.
    starts = {len(line) - len(line.split("  ", 1)[1].lstrip()) for line in result.stdout.splitlines()}
    assert len(starts) == 1


def test_diag_json_and_text(start_broker):
    b = start_broker("--set", "topics=big:2,small:1")
    produce(b.bootstrap, "big", 1, 200)
    produce(b.bootstrap, "small", 0, 10)
    result = spate("diag", "--json", "--admin", b.admin_url)
    assert result.returncode == 0, result.stderr
    d = json.loads(result.stdout)
    assert d["largest_partitions"] == http_json(b, "/v1/diag")["largest_partitions"]
    top = d["largest_partitions"][0]
    assert (top["topic"], top["partition"]) == ("big", 1)
    assert top["size_bytes"] == http_json(b, "/v1/topics/big")["partitions"][1]["size_bytes"]
    text = spate("diag", "--admin", b.admin_url)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert "Largest partitions" in lines and "Slowest request kinds" in lines and "Recent errors" in lines
    header = lines[lines.index("Largest partitions") + 1].split()
    assert header == ["TOPIC", "PARTITION", "SIZE"]
    assert lines[lines.index("Largest partitions") + 2].split()[:2] == ["big", "1"]


def test_unreachable_admin_api_is_one_line_and_exit_1():
    port = free_port()
    for command in ("status", "diag"):
        result = spate(command, "--admin", f"http://127.0.0.1:{port}")
        assert result.returncode == 1
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0] and "cannot reach" in lines[0]


def test_diag_names_the_request_kinds_served_and_the_errors_answered(start_broker):
    b = start_broker("--set", "topics=orders:1")
    produce(b.bootstrap, "orders", 0, 20)
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    for _ in range(2):
        future = admin.create_topics([NewTopic("orders", 1)])["orders"]
        try:
            future.result(10)
            raise AssertionError("creating an existing topic succeeded")
        except Exception as e:  # noqa: BLE001 - the KafkaException carries the error name
            assert "TOPIC_ALREADY_EXISTS" in str(e)
    d = json.loads(spate("diag", "--json", "--admin", b.admin_url).stdout)
    kinds = {r["kind"]: r for r in d["slowest_requests"]}
    assert "Produce" in kinds and kinds["Produce"]["count"] >= 1
    for r in d["slowest_requests"]:
        assert 0 < r["mean_ms"] <= r["max_ms"] and r["p99_ms"] <= r["max_ms"]
    errors = {(e["kind"], e["error"]): e for e in d["recent_errors"]}
    assert errors[("CreateTopics", "TOPIC_ALREADY_EXISTS")]["count"] == 2
    assert abs(errors[("CreateTopics", "TOPIC_ALREADY_EXISTS")]["last_ms"] / 1000 - time.time()) < 60
    text = spate("diag", "--admin", b.admin_url).stdout.splitlines()
    errors_header = text[text.index("Recent errors") + 1].split()
    assert errors_header == ["KIND", "ERROR", "COUNT", "LAST"]
    assert text[text.index("Recent errors") + 2].split()[:3] == ["CreateTopics", "TOPIC_ALREADY_EXISTS", "2"]
