"""SASL/SCRAM and PLAIN on a SASL_PLAINTEXT listener (issue 16), with the operator's PLAINTEXT
listener beside it: users are created with `spate user create` over PLAINTEXT, then real clients
produce and consume with a group over SASL_PLAINTEXT: confluent-kafka and kcat (librdkafka,
SaslHandshake v1 + SaslAuthenticate), kafkajs (js/sasl_client.js) and kafka-python 2.0.2 (SaslHandshake
v0 + raw tokens)."""
import json
import shutil
import socket
import struct
import subprocess
import time
import uuid

import pytest
from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient

from cli_support import ok, spate
from conftest import free_port, wait_until

PASSWORD = "s3cret-Pa55word-not-on-disk"
GENERIC = "Authentication failed during authentication due to invalid credentials with SASL mechanism"


class Endpoints:
    def __init__(self, broker, plaintext_port, sasl_port):
        self.broker = broker
        self.plaintext = f"127.0.0.1:{plaintext_port}"
        self.sasl = f"127.0.0.1:{sasl_port}"
        self.bootstrap = self.plaintext  # for cli_support.ok()


def start_sasl_broker(start_broker, *extra, data_dir=None, ports=None):
    p0, p1 = ports or (free_port(), free_port())
    broker = start_broker("--listen", f"PLAINTEXT://127.0.0.1:{p0},SASL_PLAINTEXT://127.0.0.1:{p1}",
                          "--set", "sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN", *extra,
                          data_dir=data_dir)
    return Endpoints(broker, p0, p1)


@pytest.fixture
def users_file(tmp_path):
    path = tmp_path / "plain-users.json"
    path.write_text(json.dumps({"users": {"paula": "plain-pass"}}))
    return path


@pytest.fixture
def sasl(start_broker, users_file):
    return start_sasl_broker(start_broker, "--set", f"sasl.plain.users.file={users_file}")


def client_config(endpoints, mechanism, user="alice", password=PASSWORD):
    return {"bootstrap.servers": endpoints.sasl, "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanisms": mechanism, "sasl.username": user, "sasl.password": password}


def produce_consume_with_group(config, topic, n=20):
    producer = Producer(config)
    for i in range(n):
        producer.produce(topic, f"m{i}".encode())
    assert producer.flush(30) == 0
    consumer = Consumer({**config, "group.id": f"g-{topic}", "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    got = []
    deadline = time.time() + 60
    while len(got) < n and time.time() < deadline:
        msg = consumer.poll(1)
        if msg is not None and not msg.error():
            got.append(msg.value().decode())
    consumer.commit(asynchronous=False)
    consumer.close()
    assert got == [f"m{i}" for i in range(n)]


def auth_error(config):
    """The error librdkafka reports for a failed authentication."""
    errors = []
    admin = AdminClient({**config, "error_cb": lambda e: errors.append(str(e))})
    with pytest.raises(KafkaException):
        admin.list_topics(timeout=5)
    deadline = time.time() + 10
    while not errors and time.time() < deadline:
        admin.poll(0.2)  # error_cb is served by poll
    return " ".join(errors)


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512", "SCRAM-SHA-256"])
def test_confluent_kafka_produces_and_consumes_with_a_group_over_scram(sasl, mechanism):
    ok(sasl, "user", "create", "alice", "--password", PASSWORD, "--mechanism", mechanism)
    produce_consume_with_group(client_config(sasl, mechanism), f"scram-{mechanism.lower()}")
    assert any("event=sasl_authenticated" in line and "principal=User:alice" in line for line in sasl.broker.log)


def test_user_list_shows_mechanisms_and_iterations_never_secrets(sasl):
    ok(sasl, "user", "create", "alice", "--password", PASSWORD, "--mechanism", "SCRAM-SHA-512", "--iterations", "8192")
    ok(sasl, "user", "create", "bob", "--password", "other")
    listed = json.loads(ok(sasl, "user", "list", "--json"))
    users = {u["user"]: u["credentials"] for u in listed["users"]}
    assert users["alice"] == [{"mechanism": "SCRAM-SHA-512", "iterations": 8192}]
    assert users["bob"] == [{"mechanism": "SCRAM-SHA-256", "iterations": 4096}]
    ok(sasl, "user", "delete", "bob")
    assert "bob" not in ok(sasl, "user", "list")
    missing = spate("user", "delete", "bob", "-b", sasl.plaintext)
    assert missing.returncode == 1


def test_kcat_produces_and_consumes_over_scram(sasl):
    if shutil.which("kcat") is None:
        pytest.skip("kcat is not installed")
    ok(sasl, "user", "create", "alice", "--password", PASSWORD, "--mechanism", "SCRAM-SHA-512")
    auth = ["-b", sasl.sasl, "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=SCRAM-SHA-512",
            "-X", "sasl.username=alice", "-X", f"sasl.password={PASSWORD}"]
    subprocess.run(["kcat", *auth, "-P", "-t", "kcat-scram"], input="one\ntwo\n", text=True, check=True, timeout=60)
    out = subprocess.run(["kcat", *auth, "-C", "-t", "kcat-scram", "-e", "-G", "kcat-group", "kcat-scram"],
                         capture_output=True, text=True, timeout=60)
    consumed = subprocess.run(["kcat", *auth, "-C", "-t", "kcat-scram", "-e"], capture_output=True, text=True,
                              check=True, timeout=60)
    assert consumed.stdout.split() == ["one", "two"], out.stderr


def test_kafka_python_uses_the_v0_raw_token_path(sasl):
    from kafka import KafkaConsumer, KafkaProducer
    ok(sasl, "user", "create", "alice", "--password", PASSWORD, "--mechanism", "SCRAM-SHA-256")
    config = dict(bootstrap_servers=sasl.sasl, security_protocol="SASL_PLAINTEXT", sasl_mechanism="SCRAM-SHA-256",
                  sasl_plain_username="alice", sasl_plain_password=PASSWORD)
    producer = KafkaProducer(**config)
    for i in range(5):
        producer.send("kp-scram", f"k{i}".encode()).get(timeout=30)
    producer.close()
    consumer = KafkaConsumer("kp-scram", group_id="kp-group", auto_offset_reset="earliest",
                             consumer_timeout_ms=10000, **config)
    got = [m.value.decode() for m in consumer]
    consumer.close()
    assert got[:5] == [f"k{i}" for i in range(5)]


def test_plain_with_a_users_file(sasl):
    produce_consume_with_group(client_config(sasl, "PLAIN", "paula", "plain-pass"), "plain-topic", n=5)
    assert "Invalid username or password" in auth_error(client_config(sasl, "PLAIN", "paula", "wrong"))


def test_wrong_password_and_unknown_user_fail_alike(sasl):
    ok(sasl, "user", "create", "alice", "--password", PASSWORD, "--mechanism", "SCRAM-SHA-512")
    wrong = auth_error(client_config(sasl, "SCRAM-SHA-512", "alice", "wrong"))
    unknown = auth_error(client_config(sasl, "SCRAM-SHA-512", "nobody", "wrong"))
    assert f"{GENERIC} SCRAM-SHA-512" in wrong
    assert f"{GENERIC} SCRAM-SHA-512" in unknown


def raw_request(sock, api_key, version, body=b"", correlation_id=1):
    header = struct.pack(">hhih", api_key, version, correlation_id, len(b"test")) + b"test"
    frame = header + body
    sock.sendall(struct.pack(">i", len(frame)) + frame)


def read_frame(sock):
    def exact(n):
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    size = exact(4)
    return None if size is None else exact(struct.unpack(">i", size)[0])


def test_a_request_before_authentication_closes_that_connection_only(sasl):
    host, port = sasl.sasl.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        raw_request(s, 3, 1, struct.pack(">i", 0))  # Metadata v1, no topics
        assert read_frame(s) is None  # closed without an answer
    # The broker logs the line as it closes; the log is read by another thread.
    wait_until(lambda: any("Unexpected Kafka request of type Metadata during SASL handshake" in line
                           for line in sasl.broker.log), 10, "the close's log line")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        raw_request(s, 18, 0)  # ApiVersions is served before authentication
        assert read_frame(s) is not None
        mechanism = b"SCRAM-SHA-512"
        raw_request(s, 17, 1, struct.pack(">h", len(mechanism)) + mechanism, correlation_id=2)
        response = read_frame(s)
        assert struct.unpack(">h", response[4:6])[0] == 0  # SaslHandshake: no error
    with socket.create_connection((host, int(port)), timeout=10) as s:
        gssapi = b"GSSAPI"
        raw_request(s, 17, 1, struct.pack(">h", len(gssapi)) + gssapi)
        response = read_frame(s)
        assert struct.unpack(">h", response[4:6])[0] == 33  # UNSUPPORTED_SASL_MECHANISM
    # The PLAINTEXT listener keeps serving.
    assert AdminClient({"bootstrap.servers": sasl.plaintext}).list_topics(timeout=10).brokers


def test_credentials_survive_a_restart_and_no_password_is_on_disk(start_broker, users_file, tmp_path):
    data = tmp_path / "data-restart"
    ports = (free_port(), free_port())
    first = start_sasl_broker(start_broker, "--set", f"sasl.plain.users.file={users_file}", data_dir=data,
                              ports=ports)
    ok(first, "user", "create", "alice", "--password", PASSWORD, "--mechanism", "SCRAM-SHA-512")
    first.broker.stop()
    second = start_sasl_broker(start_broker, "--set", f"sasl.plain.users.file={users_file}", data_dir=data,
                               ports=ports)
    produce_consume_with_group(client_config(second, "SCRAM-SHA-512"), "after-restart", n=3)
    grep = subprocess.run(["grep", "-r", "-l", PASSWORD, str(data)], capture_output=True, text=True)
    assert grep.stdout == "", f"password in clear in {grep.stdout}"
    assert (data / "scram_credentials.json").exists()


def test_tls_listeners_without_certificates_and_plain_without_a_users_file_are_refused_at_start(tmp_path):
    from conftest import SPATE
    for args, message in [
        (["--listen", "SSL://127.0.0.1:0"], "needs ssl.certificate.location and ssl.key.location"),
        (["--listen", "SASL_PLAINTEXT://127.0.0.1:0", "--set", "sasl.enabled.mechanisms=PLAIN"],
         "sasl.plain.users.file is not set"),
    ]:
        result = subprocess.run([str(SPATE), "serve", "--data-dir", str(tmp_path / uuid.uuid4().hex), "--set",
                                 "admin.listeners=", *args], capture_output=True, text=True, timeout=60)
        assert result.returncode != 0
        assert message in result.stderr, result.stderr


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512", "SCRAM-SHA-256"])
def test_kafkajs_produces_and_consumes_with_a_group_over_scram(sasl, mechanism):
    import os
    import pathlib
    js = pathlib.Path(__file__).resolve().parent / "js"
    assert shutil.which("node"), "node is missing: run scripts/install-deps.sh"
    assert (js / "node_modules" / "kafkajs").is_dir(), "kafkajs is missing: run scripts/install-deps.sh"
    ok(sasl, "user", "create", "alice", "--password", PASSWORD, "--mechanism", mechanism)
    env = {**os.environ, "SPATE_SASL_BOOTSTRAP": sasl.sasl, "SASL_MECHANISM": mechanism.lower(),
           "SASL_USER": "alice", "SASL_PASSWORD": PASSWORD, "SASL_TOPIC": f"js-{mechanism.lower()}"}
    result = subprocess.run(["node", str(js / "sasl_client.js")], cwd=js, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
