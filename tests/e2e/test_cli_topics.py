"""`spate topic ...` against the real broker, checked with confluent-kafka's admin client."""
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource

from cli_support import as_json, failure, ok, spate, table, tables
from conftest import wait_until


def admin(broker):
    return AdminClient({"bootstrap.servers": broker.bootstrap})


def produce(broker, topic, partition, n):
    """Keyed, so that compacted topics accept them; every delivery must succeed."""
    failed = []
    p = Producer({"bootstrap.servers": broker.bootstrap})
    for i in range(n):
        p.produce(topic, key=f"k{i}".encode(), value=f"v{i}".encode(), partition=partition,
                  on_delivery=lambda err, _msg: err and failed.append(err))
    assert p.flush(30) == 0
    assert failed == []


def test_list_shows_topics_with_partition_counts_and_hides_internal_ones(broker):
    ok(broker, "topic", "create", "__hidden", "--partitions", "1")
    rows = table(ok(broker, "topic", "list"))
    assert {r["TOPIC"]: r["PARTITIONS"] for r in rows} == {"events": "1", "orders": "3"}
    assert [r["TOPIC"] for r in rows] == sorted(r["TOPIC"] for r in rows)
    listed = as_json(broker, "topic", "list", "--internal")["topics"]
    by_name = {t["name"]: t for t in listed}
    assert by_name["__hidden"]["internal"] is True
    metadata = admin(broker).list_topics(timeout=10).topics
    for name, topic in by_name.items():
        assert topic["partitions"] == len(metadata[name].partitions)
        assert topic["replication_factor"] == len(metadata[name].partitions[0].replicas)


def test_create_with_configs_then_describe_shows_partitions_offsets_and_non_default_configs(broker):
    ok(broker, "topic", "create", "payments", "--partitions", "2", "--replication-factor", "1",
       "-c", "retention.ms=123456", "-c", "cleanup.policy=compact")
    md = admin(broker).list_topics(timeout=10).topics
    assert len(md["payments"].partitions) == 2
    produce(broker, "payments", 1, 5)

    described = as_json(broker, "topic", "describe", "payments")
    assert described["name"] == "payments"
    parts = {p["partition"]: p for p in described["partitions"]}
    assert sorted(parts) == [0, 1]
    assert parts[1]["high_watermark"] == 5 and parts[1]["log_start_offset"] == 0
    assert parts[0]["high_watermark"] == 0
    for p in md["payments"].partitions.values():
        assert parts[p.id]["leader"] == p.leader
        assert parts[p.id]["replicas"] == list(p.replicas)
        assert parts[p.id]["isr"] == list(p.isrs)
    configs = {c["name"]: c for c in described["configs"]}
    assert configs["retention.ms"]["value"] == "123456"
    assert configs["cleanup.policy"]["value"] == "compact"
    assert all(c["source"] != "DEFAULT_CONFIG" for c in described["configs"])

    # The same facts in the tables.
    text = ok(broker, "topic", "describe", "payments")
    partitions, configs_table = tables(text)
    assert [(r["PARTITION"], r["HIGH_WATERMARK"]) for r in partitions] == [("0", "0"), ("1", "5")]
    assert {r["CONFIG"]: r["VALUE"] for r in configs_table} == {"cleanup.policy": "compact", "retention.ms": "123456"}


def test_create_an_existing_topic_fails_with_the_kafka_error_name(broker):
    line = failure(spate("topic", "create", "orders", "--partitions", "1", "-b", broker.bootstrap))
    assert line.startswith("spate: topic create orders: TOPIC_ALREADY_EXISTS"), line


def test_describe_a_missing_topic_fails_with_one_line(broker):
    line = failure(spate("topic", "describe", "nope", "-b", broker.bootstrap))
    assert "UNKNOWN_TOPIC_OR_PART" in line and "nope" in line


def test_delete_removes_topics_and_a_missing_one_fails(broker):
    ok(broker, "topic", "create", "gone", "--partitions", "1")
    assert as_json(broker, "topic", "delete", "gone") == {"deleted": ["gone"]}
    wait_until(lambda: "gone" not in admin(broker).list_topics(timeout=10).topics, 15, "gone to leave metadata")
    line = failure(spate("topic", "delete", "gone", "-b", broker.bootstrap))
    assert "UNKNOWN_TOPIC_OR_PART" in line


def test_alter_config_sets_and_deletes_while_keeping_other_dynamic_configs(broker):
    ok(broker, "topic", "alter-config", "orders", "--set", "retention.ms=1000", "--set", "segment.bytes=1048576")
    ok(broker, "topic", "alter-config", "orders", "--set", "retention.ms=2000", "--delete", "segment.bytes")
    resource = ConfigResource(ConfigResource.Type.TOPIC, "orders")
    client = admin(broker)
    entries = client.describe_configs([resource])[resource].result(timeout=10)
    assert entries["retention.ms"].value == "2000"
    assert entries["retention.ms"].source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value
    assert entries["segment.bytes"].source != ConfigSource.DYNAMIC_TOPIC_CONFIG.value
    configs = {c["name"]: c["value"] for c in as_json(broker, "topic", "describe", "orders")["configs"]
               if c["source"] == "DYNAMIC_TOPIC_CONFIG"}
    assert configs == {"retention.ms": "2000"}
    # Setting another config keeps the ones already set (AlterConfigs alone would drop them).
    assert as_json(broker, "topic", "alter-config", "orders", "--set", "cleanup.policy=compact")["configs"] == \
        {"cleanup.policy": "compact", "retention.ms": "2000"}
    entries = client.describe_configs([resource])[resource].result(timeout=10)
    assert entries["retention.ms"].value == "2000" and entries["cleanup.policy"].value == "compact"


def test_alter_config_refuses_to_delete_a_config_that_is_not_set(broker):
    line = failure(spate("topic", "alter-config", "orders", "--delete", "retention.ms", "-b", broker.bootstrap))
    assert "INVALID_CONFIG" in line and "retention.ms" in line


def test_add_partitions_raises_the_count_and_refuses_to_lower_it(broker):
    assert as_json(broker, "topic", "add-partitions", "orders", "--partitions", "5") == {"topic": "orders",
                                                                                         "partitions": 5}
    wait_until(lambda: len(admin(broker).list_topics(timeout=10).topics["orders"].partitions) == 5, 15,
               "orders to have 5 partitions")
    line = failure(spate("topic", "add-partitions", "orders", "--partitions", "2", "-b", broker.bootstrap))
    assert "INVALID_PARTITIONS" in line


def test_usage_errors_exit_2(broker):
    for args in (["topic"], ["topic", "list", "--bogus"], ["topic", "create"],
                 ["topic", "create", "x", "--partitions", "zero"], ["topic", "alter-config", "orders"],
                 ["topic", "list", "-X", "novalue"], ["topic", "list", "-X", "no.such.property=1"]):
        result = spate(*args, "-b", broker.bootstrap)
        assert result.returncode == 2, (args, result.returncode, result.stderr)
        assert result.stderr.strip(), args
    assert spate("topic", "list", "--help").returncode == 0


def test_an_unreachable_broker_fails_within_the_timeout_with_one_line():
    import time
    started = time.monotonic()
    result = spate("topic", "list", "-b", "127.0.0.1:1", "--timeout", "1500", timeout=30)
    line = failure(result)
    assert line.startswith("spate: topic list: "), line
    assert "127.0.0.1:1" in line and "refused" in line, line  # librdkafka's connection error
    assert time.monotonic() - started < 10


def test_brokers_come_from_the_environment(broker):
    import os
    result = spate("topic", "list", env={**os.environ, "SPATE_BROKERS": broker.bootstrap})
    assert result.returncode == 0, result.stderr
    assert "orders" in result.stdout
