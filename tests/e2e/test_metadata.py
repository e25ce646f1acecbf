"""Metadata as three independent clients see it: kcat (librdkafka), confluent-kafka-python and kafka-python."""
import json
import subprocess

from confluent_kafka.admin import AdminClient
from kafka.admin import KafkaAdminClient

CONFIGURED = {"orders": 3, "events": 1}
# Kafka lists its internal topics too; spate creates __consumer_offsets and __transaction_state at
# start-up with the default offsets.topic.num.partitions / transaction.state.log.num.partitions.
LISTED = {**CONFIGURED, "__consumer_offsets": 50, "__transaction_state": 50}


def test_kcat_lists_broker_and_configured_topics(broker):
    out = subprocess.run(["kcat", "-b", broker.bootstrap, "-L", "-J"], check=True, capture_output=True,
                         text=True, timeout=30).stdout
    meta = json.loads(out)
    assert [(b["id"], b["name"]) for b in meta["brokers"]] == [(1, broker.bootstrap)]
    assert meta["controllerid"] == 1
    topics = {t["topic"]: t for t in meta["topics"]}
    assert {name: len(t["partitions"]) for name, t in topics.items()} == LISTED
    for t in topics.values():
        assert "error" not in t
        for p in t["partitions"]:
            assert p["leader"] == 1
            assert [r["id"] for r in p["replicas"]] == [1]
            assert [r["id"] for r in p["isrs"]] == [1]


def test_confluent_admin_sees_the_same_metadata(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    meta = admin.list_topics(timeout=15)
    assert {b.id: (b.host, b.port) for b in meta.brokers.values()} == {1: ("127.0.0.1", broker.port)}
    assert meta.controller_id == 1
    assert len(meta.cluster_id) == 22
    assert {name: len(t.partitions) for name, t in meta.topics.items()} == LISTED
    for t in meta.topics.values():
        assert t.error is None
        for p in t.partitions.values():
            assert (p.leader, p.replicas, p.isrs) == (1, [1], [1])


def test_kafka_python_admin_sees_the_same_metadata(broker):
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap, request_timeout_ms=15000)
    try:
        cluster = admin.describe_cluster()
        assert [(b["node_id"], b["host"], b["port"]) for b in cluster["brokers"]] == [(1, "127.0.0.1", broker.port)]
        assert cluster["controller_id"] == 1
        confluent_cluster_id = AdminClient({"bootstrap.servers": broker.bootstrap}).list_topics(timeout=15).cluster_id
        assert cluster["cluster_id"] == confluent_cluster_id
        assert sorted(admin.list_topics()) == sorted(LISTED)
        described = {t["topic"]: t for t in admin.describe_topics(list(CONFIGURED))}
        assert {name: len(t["partitions"]) for name, t in described.items()} == CONFIGURED
        assert all(t["error_code"] == 0 for t in described.values())
    finally:
        admin.close()


def test_metadata_request_auto_creates_missing_topic(start_broker):
    b = start_broker("--set", "num.partitions=4")
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    # librdkafka asks for a named topic (allow_auto_topic_creation=true) when producing to it.
    out = subprocess.run(["kcat", "-b", b.bootstrap, "-L", "-J", "-t", "fresh-topic"], check=True,
                         capture_output=True, text=True, timeout=30).stdout
    assert len(json.loads(out)["topics"][0]["partitions"]) == 4
    assert len(admin.list_topics(timeout=15).topics["fresh-topic"].partitions) == 4


def test_auto_creation_can_be_disabled(start_broker):
    b = start_broker("--set", "auto.create.topics.enable=false")
    out = subprocess.run(["kcat", "-b", b.bootstrap, "-L", "-J", "-t", "absent"], check=True,
                         capture_output=True, text=True, timeout=30).stdout
    (topic,) = json.loads(out)["topics"]
    assert topic["topic"] == "absent" and "Unknown topic" in topic.get("error", "")
    assert "absent" not in AdminClient({"bootstrap.servers": b.bootstrap}).list_topics(timeout=15).topics
