"""ACL enforcement (issue 16): a broker with `authorizer.enabled=true`, a SASL_PLAINTEXT listener
with SCRAM users, `super.users=User:admin` and ACLs written to <data_dir>/acls.json before start.
Real clients (confluent-kafka, kafka-python) as `alice` get Kafka's authorization errors and
change nothing; `admin` checks what was (not) written."""
import json
import time

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from cli_support import ok
from test_sasl import start_sasl_broker

ALICE_PASSWORD = "alice-Pa55word-never-on-disk"
ADMIN_PASSWORD = "admin-Pa55word-never-on-disk"
MECHANISM = "SCRAM-SHA-256"
TOPICS = ["readable", "writable", "fam-a", "fam-blocked", "hidden", "open"]


def acl(resource_type, name, principal, operation, permission="ALLOW", pattern="LITERAL"):
    return {"resource_type": resource_type, "resource_name": name, "pattern_type": pattern,
            "principal": principal, "host": "*", "operation": operation, "permission": permission}


ACLS = [
    # The operator's PLAINTEXT listener (User:ANONYMOUS) creates the SCRAM users.
    acl("CLUSTER", "kafka-cluster", "User:ANONYMOUS", "ALTER"),
    acl("TOPIC", "readable", "User:alice", "READ"),
    acl("TOPIC", "writable", "User:alice", "WRITE"),
    acl("TOPIC", "fam-", "User:alice", "WRITE", pattern="PREFIXED"),
    acl("TOPIC", "fam-blocked", "User:alice", "WRITE", permission="DENY"),
    acl("TOPIC", "hidden", "User:bob", "READ"),
    acl("GROUP", "good-group", "User:alice", "READ"),
]


def start_secured(start_broker, tmp_path, allow_everyone=False):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "acls.json").write_text(json.dumps({"version": 1, "acls": ACLS}))
    endpoints = start_sasl_broker(
        start_broker, "--set", f"sasl.enabled.mechanisms={MECHANISM}", "--set", "authorizer.enabled=true", "--set", "super.users=User:admin",
        "--set", f"allow.everyone.if.no.acl.found={'true' if allow_everyone else 'false'}",
        "--set", "topics=" + ",".join(f"{t}:1" for t in TOPICS), data_dir=data_dir)
    ok(endpoints, "user", "create", "alice", "--password", ALICE_PASSWORD, "--mechanism", MECHANISM)
    ok(endpoints, "user", "create", "admin", "--password", ADMIN_PASSWORD, "--mechanism", MECHANISM)
    return endpoints


@pytest.fixture
def secured(start_broker, tmp_path):
    return start_secured(start_broker, tmp_path)


def config(endpoints, user, password):
    return {"bootstrap.servers": endpoints.sasl, "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanisms": MECHANISM, "sasl.username": user, "sasl.password": password}


def alice(endpoints):
    return config(endpoints, "alice", ALICE_PASSWORD)


def admin(endpoints):
    return config(endpoints, "admin", ADMIN_PASSWORD)


def kafka_python_config(endpoints, user, password):
    return dict(bootstrap_servers=endpoints.sasl, security_protocol="SASL_PLAINTEXT", sasl_mechanism=MECHANISM,
                sasl_plain_username=user, sasl_plain_password=password)


def produce(conf, topic, values):
    """Produces `values`; the delivery errors (None for a delivered message)."""
    errors = []
    producer = Producer({**conf, "message.timeout.ms": 10000})
    for v in values:
        producer.produce(topic, v.encode(), on_delivery=lambda err, msg: errors.append(err))
    producer.flush(20)
    return errors


def end_offset(conf, topic):
    c = Consumer({**conf, "group.id": "spate-e2e-unused"})
    try:
        return c.get_watermark_offsets(TopicPartition(topic, 0), timeout=20, cached=False)[1]
    finally:
        c.close()


def consume_error_or_values(conf, topic, group, n, timeout=30):
    """Values consumed with `group`, or the first error the consumer reports."""
    consumer = Consumer({**conf, "group.id": group, "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    got = []
    deadline = time.time() + timeout
    try:
        while len(got) < n and time.time() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                return msg.error()
            got.append(msg.value().decode())
    finally:
        consumer.close()
    return got


def test_a_producer_without_write_is_refused_and_nothing_is_written(secured):
    errors = produce(alice(secured), "readable", ["x", "y"])
    assert [e.code() for e in errors] == [KafkaError.TOPIC_AUTHORIZATION_FAILED] * 2

    from kafka import KafkaProducer
    from kafka.errors import TopicAuthorizationFailedError
    producer = KafkaProducer(**kafka_python_config(secured, "alice", ALICE_PASSWORD), retries=0)
    with pytest.raises(TopicAuthorizationFailedError):
        producer.send("readable", b"z").get(timeout=20)
    producer.close()

    assert end_offset(admin(secured), "readable") == 0
    assert produce(alice(secured), "writable", ["ok"]) == [None]
    assert end_offset(admin(secured), "writable") == 1


def test_a_consumer_without_group_read_is_refused(secured):
    assert produce(admin(secured), "readable", ["a", "b"]) == [None, None]
    error = consume_error_or_values(alice(secured), "readable", "bad-group", 2)
    assert isinstance(error, KafkaError) and error.code() == KafkaError.GROUP_AUTHORIZATION_FAILED, error

    from kafka import KafkaConsumer
    from kafka.errors import GroupAuthorizationFailedError
    consumer = KafkaConsumer("readable", group_id="bad-group", auto_offset_reset="earliest",
                             **kafka_python_config(secured, "alice", ALICE_PASSWORD))
    with pytest.raises(GroupAuthorizationFailedError):
        consumer.poll(timeout_ms=10000)
    consumer.close()

    assert consume_error_or_values(alice(secured), "readable", "good-group", 2) == ["a", "b"]


def test_metadata_hides_topics_the_user_may_not_describe(secured):
    from confluent_kafka.admin import AdminClient
    seen = set(AdminClient(alice(secured)).list_topics(timeout=10).topics)
    assert seen == {"readable", "writable", "fam-a", "fam-blocked"}
    everything = set(AdminClient(admin(secured)).list_topics(timeout=10).topics)
    assert set(TOPICS) <= everything

    from kafka import KafkaConsumer
    consumer = KafkaConsumer(**kafka_python_config(secured, "alice", ALICE_PASSWORD))
    assert consumer.topics() == {"readable", "writable", "fam-a", "fam-blocked"}
    consumer.close()


def test_a_prefixed_acl_grants_a_family_and_a_deny_beats_it(secured):
    assert produce(alice(secured), "fam-a", ["1"]) == [None]
    errors = produce(alice(secured), "fam-blocked", ["2"])
    assert [e.code() for e in errors] == [KafkaError.TOPIC_AUTHORIZATION_FAILED]
    assert end_offset(admin(secured), "fam-a") == 1
    assert end_offset(admin(secured), "fam-blocked") == 0


def test_an_idempotent_producer_needs_only_write_on_a_topic(secured):
    errors = []
    producer = Producer({**alice(secured), "enable.idempotence": True, "message.timeout.ms": 10000})
    producer.produce("writable", b"once", on_delivery=lambda err, msg: errors.append(err))
    producer.flush(20)
    assert errors == [None]


def test_a_transactional_producer_without_write_on_its_id_is_refused(secured):
    producer = Producer({**alice(secured), "transactional.id": "alice-tx", "transaction.timeout.ms": 10000})
    with pytest.raises(KafkaException) as raised:
        producer.init_transactions(20)
    assert raised.value.args[0].code() == KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED


def test_a_super_user_may_do_everything(secured):
    assert produce(admin(secured), "hidden", ["s"]) == [None]
    assert consume_error_or_values(admin(secured), "hidden", "any-group", 1) == ["s"]
    from confluent_kafka.admin import AdminClient, NewTopic
    client = AdminClient(admin(secured))
    client.create_topics([NewTopic("made-by-admin", 1, 1)])["made-by-admin"].result(20)
    assert "made-by-admin" in client.list_topics(timeout=10).topics


def test_allow_everyone_if_no_acl_found_opens_only_resources_without_acls(start_broker, tmp_path):
    endpoints = start_secured(start_broker, tmp_path, allow_everyone=True)
    assert produce(alice(endpoints), "open", ["free"]) == [None]
    errors = produce(alice(endpoints), "readable", ["no"])
    assert [e.code() for e in errors] == [KafkaError.TOPIC_AUTHORIZATION_FAILED]
    assert consume_error_or_values(alice(endpoints), "open", "any-open-group", 1) == ["free"]


def test_no_clear_text_password_reaches_the_data_dir(secured):
    assert produce(alice(secured), "writable", ["x"]) == [None]
    for path in secured.broker.data_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert ALICE_PASSWORD.encode() not in data, path
            assert ADMIN_PASSWORD.encode() not in data, path
