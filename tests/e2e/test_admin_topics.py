"""Topic administration end to end: CreateTopics (with configs, and Kafka's error answers),
DescribeConfigs, AlterConfigs (replace-all semantics), IncrementalAlterConfigs (raw: no installed
client has it), CreatePartitions, DeleteTopics, DeleteRecords and DescribeLogDirs — every change
checked by reading back the truth (metadata, describe, offsets), with confluent-kafka-python
(librdkafka) and kafka-python."""
import os

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, NewPartitions, NewTopic
from kafka.admin import ConfigResource as KConfigResource
from kafka.admin import ConfigResourceType, KafkaAdminClient
from kafka.admin import NewPartitions as KNewPartitions
from kafka.admin import NewTopic as KNewTopic

import data_wire as dw
from conftest import wait_until

KAFKA_DEFAULTS = {
    "retention.ms": "604800000",
    "segment.bytes": "1073741824",
    "cleanup.policy": "delete",
    "max.message.bytes": "1048588",
    "message.timestamp.type": "CreateTime",
}
TIMEOUT = 30


def error_code(exc_info):
    err = exc_info.value.args[0]
    assert isinstance(err, KafkaError), err
    return err.code()


def topic_configs(admin, topic):
    """{name: (value, source)} of a topic's configs as DescribeConfigs reports them."""
    (fut,) = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, topic)]).values()
    return {name: (e.value, int(getattr(e.source, "value", e.source))) for name, e in fut.result(timeout=TIMEOUT).items()}


def partition_counts(admin):
    return {name: len(t.partitions) for name, t in admin.list_topics(timeout=TIMEOUT).topics.items()}


def produce_n(bootstrap, topic, n, partition=0):
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    errors = []
    for i in range(n):
        p.produce(topic, value=f"r{i}".encode(), partition=partition,
                  on_delivery=lambda err, msg: err and errors.append(err))
    assert p.flush(TIMEOUT) == 0 and errors == []


def watermarks(bootstrap, topic, partition=0):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused"})
    try:
        return c.get_watermark_offsets(TopicPartition(topic, partition), timeout=TIMEOUT, cached=False)
    finally:
        c.close()


@pytest.fixture
def admin_broker(start_broker):
    b = start_broker("--set", "auto.create.topics.enable=false")
    return b, AdminClient({"bootstrap.servers": b.bootstrap})


def test_create_topic_with_configs_then_describe(admin_broker):
    b, admin = admin_broker
    overrides = {"retention.ms": "3600000", "cleanup.policy": "compact", "max.message.bytes": "65536"}
    futures = admin.create_topics([NewTopic("configured", num_partitions=4, replication_factor=1, config=overrides),
                                   NewTopic("plain", num_partitions=1, replication_factor=1)],
                                  operation_timeout=TIMEOUT)
    for f in futures.values():
        assert f.result(timeout=TIMEOUT) is None
    assert {k: v for k, v in partition_counts(admin).items() if k in ("configured", "plain")} == \
        {"configured": 4, "plain": 1}
    meta = admin.list_topics(timeout=TIMEOUT).topics["configured"]
    assert sorted(meta.partitions) == [0, 1, 2, 3]
    assert all((p.leader, p.replicas, p.isrs) == (1, [1], [1]) for p in meta.partitions.values())

    configs = topic_configs(admin, "configured")
    for name, value in overrides.items():
        assert configs[name] == (value, ConfigSource.DYNAMIC_TOPIC_CONFIG.value), name
    assert configs["segment.bytes"] == (KAFKA_DEFAULTS["segment.bytes"], ConfigSource.DEFAULT_CONFIG.value)
    plain = topic_configs(admin, "plain")
    for name, value in KAFKA_DEFAULTS.items():
        assert plain[name] == (value, ConfigSource.DEFAULT_CONFIG.value), name

    # Describe a subset and an unknown topic.
    (fut,) = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, "absent")]).values()
    with pytest.raises(KafkaException) as e:
        fut.result(timeout=TIMEOUT)
    assert error_code(e) == KafkaError.UNKNOWN_TOPIC_OR_PART


def test_create_topics_errors_are_kafkas(admin_broker):
    b, admin = admin_broker
    assert admin.create_topics([NewTopic("dup", 2, 1)])["dup"].result(timeout=TIMEOUT) is None
    cases = {
        "dup": (NewTopic("dup", 2, 1), KafkaError.TOPIC_ALREADY_EXISTS),
        "rf3": (NewTopic("rf3", 1, 3), KafkaError.INVALID_REPLICATION_FACTOR),
        "badcfg": (NewTopic("badcfg", 1, 1, config={"retention.ms": "soon"}), KafkaError.INVALID_CONFIG),
        "unknowncfg": (NewTopic("unknowncfg", 1, 1, config={"no.such.config": "1"}), KafkaError.INVALID_CONFIG),
        "bad/name": (NewTopic("bad/name", 1, 1), KafkaError.TOPIC_EXCEPTION),
    }
    futures = admin.create_topics([t for t, _ in cases.values()], operation_timeout=TIMEOUT)
    for name, (_, code) in cases.items():
        with pytest.raises(KafkaException) as e:
            futures[name].result(timeout=TIMEOUT)
        assert error_code(e) == code, name
    # validate_only checks but creates nothing.
    assert admin.create_topics([NewTopic("dry", 3, 1)], validate_only=True)["dry"].result(timeout=TIMEOUT) is None
    counts = partition_counts(admin)
    assert counts.get("dup") == 2
    assert not {"rf3", "badcfg", "unknowncfg", "bad/name", "dry"} & set(counts)


def test_alter_configs_replaces_the_whole_set(admin_broker):
    b, admin = admin_broker
    admin.create_topics([NewTopic("alt", 1, 1, config={"retention.ms": "3600000", "cleanup.policy": "compact"})]
                        )["alt"].result(timeout=TIMEOUT)
    res = ConfigResource(ConfigResource.Type.TOPIC, "alt", set_config={"segment.bytes": "1048576",
                                                                       "max.message.bytes": "2048"})
    (fut,) = admin.alter_configs([res]).values()
    fut.result(timeout=TIMEOUT)
    configs = topic_configs(admin, "alt")
    assert configs["segment.bytes"] == ("1048576", ConfigSource.DYNAMIC_TOPIC_CONFIG.value)
    assert configs["max.message.bytes"] == ("2048", ConfigSource.DYNAMIC_TOPIC_CONFIG.value)
    # AlterConfigs (non-incremental) sets exactly the given overrides: the others revert to defaults.
    assert configs["retention.ms"] == (KAFKA_DEFAULTS["retention.ms"], ConfigSource.DEFAULT_CONFIG.value)
    assert configs["cleanup.policy"] == (KAFKA_DEFAULTS["cleanup.policy"], ConfigSource.DEFAULT_CONFIG.value)

    # validate_only changes nothing; a bad value is refused and changes nothing.
    res = ConfigResource(ConfigResource.Type.TOPIC, "alt", set_config={"retention.ms": "1"})
    admin.alter_configs([res], validate_only=True)[res].result(timeout=TIMEOUT)
    res = ConfigResource(ConfigResource.Type.TOPIC, "alt", set_config={"retention.ms": "later"})
    with pytest.raises(KafkaException) as e:
        admin.alter_configs([res])[res].result(timeout=TIMEOUT)
    assert error_code(e) == KafkaError.INVALID_CONFIG
    assert topic_configs(admin, "alt") == configs

    res = ConfigResource(ConfigResource.Type.TOPIC, "absent", set_config={"retention.ms": "1"})
    with pytest.raises(KafkaException) as e:
        admin.alter_configs([res])[res].result(timeout=TIMEOUT)
    assert error_code(e) == KafkaError.UNKNOWN_TOPIC_OR_PART

    # The new max.message.bytes is enforced by Produce.
    with dw.Conn(b) as conn:
        small = dw.build_batch([b"x" * 100])
        large = dw.build_batch([os.urandom(4000)])
        assert dw.produce(conn, 7, "alt", 0, small)[("alt", 0)]["error_code"] == dw.NONE
        assert dw.produce(conn, 7, "alt", 0, large)[("alt", 0)]["error_code"] == dw.MESSAGE_TOO_LARGE


@pytest.mark.parametrize("version", [0, 1])
def test_incremental_alter_configs_raw(admin_broker, version):
    b, admin = admin_broker
    admin.create_topics([NewTopic("inc", 1, 1, config={"segment.bytes": "1048576"})])["inc"].result(timeout=TIMEOUT)
    T = dw.TOPIC_RESOURCE
    with dw.Conn(b) as conn:
        def alter(ops, validate_only=False, topic="inc"):
            ((err, msg, rtype, name),) = dw.incremental_alter_configs(conn, version, [(T, topic, ops)], validate_only)
            assert (rtype, name) == (T, topic)
            return err

        assert alter([("retention.ms", dw.SET, "7200000"), ("segment.bytes", dw.DELETE, None)]) == dw.NONE
        configs = topic_configs(admin, "inc")
        assert configs["retention.ms"] == ("7200000", ConfigSource.DYNAMIC_TOPIC_CONFIG.value)
        assert configs["segment.bytes"] == (KAFKA_DEFAULTS["segment.bytes"], ConfigSource.DEFAULT_CONFIG.value)

        # Incremental: untouched overrides stay; APPEND/SUBTRACT work on list configs.
        assert alter([("cleanup.policy", dw.APPEND, "compact")]) == dw.NONE
        configs = topic_configs(admin, "inc")
        assert configs["retention.ms"][0] == "7200000"
        assert configs["cleanup.policy"][0] == "delete,compact"
        assert alter([("cleanup.policy", dw.SUBTRACT, "delete")]) == dw.NONE
        assert topic_configs(admin, "inc")["cleanup.policy"] == ("compact", ConfigSource.DYNAMIC_TOPIC_CONFIG.value)

        before = topic_configs(admin, "inc")
        assert alter([("retention.ms", dw.SET, "1000")], validate_only=True) == dw.NONE
        # One bad entry fails the whole resource; nothing of it is applied.
        assert alter([("max.message.bytes", dw.SET, "4096"), ("retention.ms", dw.SET, "never")]) == dw.INVALID_CONFIG
        assert topic_configs(admin, "inc") == before
        assert alter([("retention.ms", dw.SET, "1")], topic="absent") == dw.UNKNOWN_TOPIC_OR_PARTITION
        assert conn.api_versions()[0] == 0  # the connection still serves


def test_configs_survive_a_restart(start_broker, tmp_path):
    data = tmp_path / "persist"
    b = start_broker(data_dir=data)
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    admin.create_topics([NewTopic("keep", 3, 1, config={"retention.ms": "123456"})])["keep"].result(timeout=TIMEOUT)
    admin.create_partitions([NewPartitions("keep", 5)])["keep"].result(timeout=TIMEOUT)
    produce_n(b.bootstrap, "keep", 7, partition=4)
    assert b.stop() == 0
    b2 = start_broker("--set", "auto.create.topics.enable=false", data_dir=data)
    admin2 = AdminClient({"bootstrap.servers": b2.bootstrap})
    assert partition_counts(admin2).get("keep") == 5
    assert topic_configs(admin2, "keep")["retention.ms"] == ("123456", ConfigSource.DYNAMIC_TOPIC_CONFIG.value)
    assert watermarks(b2.bootstrap, "keep", 4) == (0, 7)


def test_create_partitions_and_errors(admin_broker):
    b, admin = admin_broker
    admin.create_topics([NewTopic("grow", 2, 1)])["grow"].result(timeout=TIMEOUT)
    produce_n(b.bootstrap, "grow", 5, partition=1)
    admin.create_partitions([NewPartitions("grow", 5)])["grow"].result(timeout=TIMEOUT)
    assert partition_counts(admin)["grow"] == 5
    assert watermarks(b.bootstrap, "grow", 1) == (0, 5), "existing data untouched"
    produce_n(b.bootstrap, "grow", 3, partition=4)
    assert watermarks(b.bootstrap, "grow", 4) == (0, 3), "new partitions accept data"

    for total, code in ((5, KafkaError.INVALID_PARTITIONS), (3, KafkaError.INVALID_PARTITIONS)):
        with pytest.raises(KafkaException) as e:
            admin.create_partitions([NewPartitions("grow", total)])["grow"].result(timeout=TIMEOUT)
        assert error_code(e) == code, total
    with pytest.raises(KafkaException) as e:
        admin.create_partitions([NewPartitions("absent", 3)])["absent"].result(timeout=TIMEOUT)
    assert error_code(e) == KafkaError.UNKNOWN_TOPIC_OR_PART
    admin.create_partitions([NewPartitions("grow", 8)], validate_only=True)["grow"].result(timeout=TIMEOUT)
    assert partition_counts(admin)["grow"] == 5


def test_delete_topics_removes_data_and_name_is_reusable(admin_broker):
    b, admin = admin_broker
    for f in admin.create_topics([NewTopic("gone", 3, 1), NewTopic("stays", 1, 1)]).values():
        f.result(timeout=TIMEOUT)
    produce_n(b.bootstrap, "gone", 20, partition=2)
    produce_n(b.bootstrap, "stays", 4)
    admin.delete_topics(["gone"], operation_timeout=TIMEOUT)["gone"].result(timeout=TIMEOUT)
    wait_until(lambda: "gone" not in partition_counts(admin), 15, "deleted topic to leave metadata")
    assert partition_counts(admin)["stays"] == 1
    with pytest.raises(KafkaException) as e:
        admin.delete_topics(["gone"], operation_timeout=TIMEOUT)["gone"].result(timeout=TIMEOUT)
    assert error_code(e) == KafkaError.UNKNOWN_TOPIC_OR_PART

    admin.create_topics([NewTopic("gone", 4, 1)])["gone"].result(timeout=TIMEOUT)
    assert partition_counts(admin)["gone"] == 4
    assert watermarks(b.bootstrap, "gone", 2) == (0, 0), "a re-created topic starts empty"
    assert watermarks(b.bootstrap, "stays") == (0, 4)
    # The partition directories of the deleted incarnation are gone from disk (eventually).
    wait_until(lambda: not [d for d in os.listdir(b.data_dir) if d.startswith("gone-") and d.endswith("-delete")],
               15, "deleted partition directories to be removed")


def test_delete_records_moves_log_start(start_broker):
    b = start_broker("--set", "topics=trim:2")
    produce_n(b.bootstrap, "trim", 50)
    with dw.Conn(b) as conn:
        assert dw.delete_records(conn, "trim", 0, 20) == (dw.NONE, 20)
        assert dw.list_offsets(conn, 5, "trim", 0, dw.EARLIEST)[::2] == (0, 20)
        assert dw.list_offsets(conn, 5, "trim", 0, dw.LATEST)[::2] == (0, 50)
        # Below the log start offset is out of range; the log start itself is readable.
        assert dw.fetch(conn, 11, "trim", 0, 19)[1]["error_code"] == dw.OFFSET_OUT_OF_RANGE
        err, part = dw.fetch(conn, 11, "trim", 0, 20)
        assert (err, part["error_code"], part["log_start_offset"]) == (0, 0, 20)
        assert [r[0] for r in dw.decode_records(part["records"]) if r[0] >= 20][:1] == [20]
        assert all(r[3] == f"r{r[0]}".encode() for r in dw.decode_records(part["records"]))
        # Deleting below the current start is a no-op; -1 means "up to the high watermark".
        assert dw.delete_records(conn, "trim", 0, 10) == (dw.NONE, 20)
        assert dw.delete_records(conn, "trim", 0, 51)[0] == dw.OFFSET_OUT_OF_RANGE
        assert dw.delete_records(conn, "trim", 0, -1) == (dw.NONE, 50)
        assert dw.list_offsets(conn, 5, "trim", 0, dw.EARLIEST)[::2] == (0, 50)
        assert dw.delete_records(conn, "trim", 7, 1)[0] == dw.UNKNOWN_TOPIC_OR_PARTITION
        assert dw.list_offsets(conn, 5, "trim", 1, dw.EARLIEST)[::2] == (0, 0), "other partition untouched"
    assert watermarks(b.bootstrap, "trim") == (50, 50)


@pytest.mark.parametrize("version", [1, 4])
def test_describe_log_dirs(start_broker, version):
    b = start_broker("--set", "topics=sized:2")
    produce_n(b.bootstrap, "sized", 100, partition=1)
    with dw.Conn(b) as conn:
        err, dirs = dw.describe_log_dirs(conn, version)
        assert err == dw.NONE and len(dirs) == 1
        (d,) = dirs
        assert d["error_code"] == dw.NONE
        assert os.path.realpath(d["log_dir"]) == os.path.realpath(b.data_dir)
        parts = d["topics"]["sized"]
        assert sorted(parts) == [0, 1]
        assert parts[0]["size"] == 0
        on_disk = sum(f.stat().st_size for f in (b.data_dir / "sized-1").glob("*.log"))
        assert parts[1]["size"] == on_disk > 100 * 2
        assert all(p["offset_lag"] == 0 and not p["is_future"] for p in parts.values())
        if version >= 4:
            assert d["total_bytes"] > 0 and 0 <= d["usable_bytes"] <= d["total_bytes"]
        err, dirs = dw.describe_log_dirs(conn, version, topics=[("sized", [1])])
        assert {name: sorted(p) for name, p in dirs[0]["topics"].items()} == {"sized": [1]}


def test_kafka_python_admin_round_trip(start_broker):
    b = start_broker("--set", "auto.create.topics.enable=false")
    admin = KafkaAdminClient(bootstrap_servers=b.bootstrap, request_timeout_ms=TIMEOUT * 1000)
    try:
        resp = admin.create_topics([KNewTopic("kpa", 2, 1, topic_configs={"retention.ms": "5000000"})],
                                   timeout_ms=TIMEOUT * 1000)
        assert [(t[0], t[1]) for t in resp.topic_errors] == [("kpa", 0)]
        assert admin.describe_topics(["kpa"])[0]["partitions"].__len__() == 2

        def described():
            (r,) = admin.describe_configs([KConfigResource(ConfigResourceType.TOPIC, "kpa")])
            ((err, _msg, _rtype, name, entries),) = r.resources
            assert (err, name) == (0, "kpa")
            return {e[0]: e[1] for e in entries}

        assert described()["retention.ms"] == "5000000"
        r = admin.alter_configs([KConfigResource(ConfigResourceType.TOPIC, "kpa", configs={"segment.bytes": "2097152"})])
        assert [res[0] for res in r.resources] == [0]
        configs = described()
        assert (configs["segment.bytes"], configs["retention.ms"]) == ("2097152", KAFKA_DEFAULTS["retention.ms"])

        r = admin.create_partitions({"kpa": KNewPartitions(total_count=6)})
        assert [(t[0], t[1]) for t in r.topic_errors] == [("kpa", 0)]
        assert len(admin.describe_topics(["kpa"])[0]["partitions"]) == 6

        r = admin.delete_topics(["kpa"], timeout_ms=TIMEOUT * 1000)
        assert [(t[0], t[1]) for t in r.topic_error_codes] == [("kpa", 0)]
        wait_until(lambda: "kpa" not in admin.list_topics(), 15, "kpa to disappear")
    finally:
        admin.close()
