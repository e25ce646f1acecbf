"""TLS listeners (issue 16): SASL_SSL with SCRAM and SSL with client certificates (mutual TLS).
Certificates are made with the `openssl` CLI in the test's temporary directory: a CA, a server
certificate for 127.0.0.1/localhost, client certificates, an expired one and one from an untrusted
CA. Real clients (kcat, confluent-kafka, kafka-python, kafkajs) produce and consume over TLS; the
negative cases check that a bad certificate, a wrong password or a plaintext client is refused
without disturbing other connections."""
import os
import pathlib
import shutil
import signal
import socket
import struct
import subprocess
import time
import urllib.request
import uuid

import pytest
from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient

from cli_support import ok
from conftest import free_port, wait_until
from test_sasl import produce_consume_with_group
from tls_support import Endpoints, Pki, pki, server_common_name, start_tls_broker, tls_server_args  # noqa: F401

PASSWORD = "tls-Pa55word-not-on-disk"
ALICE_DN = "CN=alice,OU=eng,O=Acme"


@pytest.fixture
def sasl_ssl(start_broker, pki):
    endpoints = start_tls_broker(start_broker, pki, "SASL_SSL")
    ok(endpoints, "user", "create", "alice", "--password", PASSWORD, "--mechanism", "SCRAM-SHA-512")
    return endpoints


@pytest.fixture
def mtls(start_broker, pki):
    return start_tls_broker(start_broker, pki, "SSL", "--set", "ssl.client.auth=required")


def sasl_ssl_config(endpoints, pki, password=PASSWORD):
    return {"bootstrap.servers": endpoints.tls, "security.protocol": "SASL_SSL", "ssl.ca.location": pki.path("ca.crt"),
            "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": "alice", "sasl.password": password}


def mtls_config(endpoints, pki, name="alice"):
    return {"bootstrap.servers": endpoints.tls, "security.protocol": "SSL", "ssl.ca.location": pki.path("ca.crt"),
            "ssl.certificate.location": pki.path(f"{name}.crt"), "ssl.key.location": pki.path(f"{name}.key")}


def client_errors(config, timeout=5):
    """The errors librdkafka reports while failing to reach the cluster with `config`."""
    errors = []
    admin = AdminClient({**config, "error_cb": lambda e: errors.append(str(e))})
    with pytest.raises(KafkaException):
        admin.list_topics(timeout=timeout)
    deadline = time.time() + 10
    while not errors and time.time() < deadline:
        admin.poll(0.2)
    return " ".join(errors)


def log_has(endpoints, *needles):
    return any(all(n in line for n in needles) for line in endpoints.broker.log)


def test_confluent_kafka_produces_and_consumes_with_a_group_over_sasl_ssl(sasl_ssl, pki):
    produce_consume_with_group(sasl_ssl_config(sasl_ssl, pki), "tls-confluent")
    assert log_has(sasl_ssl, "event=sasl_authenticated", "principal=User:alice", "mechanism=SCRAM-SHA-512")


@pytest.fixture(params=["sasl_ssl", "mtls"])
def secured(request, pki):
    """(name, endpoints, librdkafka config): a SASL_SSL listener where alice is a SCRAM-SHA-512 user,
    or an SSL one that requires client certificates, where alice presents hers."""
    endpoints = request.getfixturevalue(request.param)
    config = sasl_ssl_config(endpoints, pki) if request.param == "sasl_ssl" else mtls_config(endpoints, pki)
    return request.param, endpoints, config


def test_kcat_produces_and_consumes_with_a_group_over_tls(secured):
    _, endpoints, config = secured
    auth = ["-b", endpoints.tls]
    for key, value in config.items():
        if key != "bootstrap.servers":
            auth += ["-X", f"{key}={value}"]
    subprocess.run(["kcat", *auth, "-P", "-t", "tls-kcat"], input="one\ntwo\n", text=True, check=True, timeout=60)
    grouped = subprocess.run(["kcat", *auth, "-C", "-e", "-G", "tls-kcat-group", "tls-kcat", "-o", "beginning"],
                             capture_output=True, text=True, timeout=60)
    assert grouped.returncode == 0, grouped.stderr
    assert grouped.stdout.split() == ["one", "two"], grouped.stderr


def test_kafka_python_produces_and_consumes_with_a_group_over_tls(secured, pki):
    from kafka import KafkaConsumer, KafkaProducer
    name, endpoints, _ = secured
    if name == "sasl_ssl":
        config = dict(security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512", sasl_plain_username="alice",
                      sasl_plain_password=PASSWORD)
    else:
        config = dict(security_protocol="SSL", ssl_certfile=pki.path("alice.crt"), ssl_keyfile=pki.path("alice.key"))
    config.update(bootstrap_servers=endpoints.tls, ssl_cafile=pki.path("ca.crt"))
    producer = KafkaProducer(**config)
    for i in range(5):
        producer.send("tls-kp", f"k{i}".encode()).get(timeout=30)
    producer.close()
    consumer = KafkaConsumer("tls-kp", group_id="tls-kp-group", auto_offset_reset="earliest",
                             consumer_timeout_ms=10000, **config)
    got = [m.value.decode() for m in consumer]
    consumer.close()
    assert got[:5] == [f"k{i}" for i in range(5)]


def test_kafkajs_produces_and_consumes_with_a_group_over_tls(secured, pki):
    name, endpoints, _ = secured
    js = pathlib.Path(__file__).resolve().parent / "js"
    assert shutil.which("node"), "node is missing: run scripts/install-deps.sh"
    assert (js / "node_modules" / "kafkajs").is_dir(), "kafkajs is missing: run scripts/install-deps.sh"
    env = {**os.environ, "SPATE_SASL_BOOTSTRAP": endpoints.tls, "SASL_TOPIC": "tls-js",
           "SASL_SSL_CA": pki.path("ca.crt")}
    if name == "sasl_ssl":
        env.update(SASL_MECHANISM="scram-sha-512", SASL_USER="alice", SASL_PASSWORD=PASSWORD)
    else:
        env.update(SSL_CERT=pki.path("alice.crt"), SSL_KEY=pki.path("alice.key"))
    result = subprocess.run(["node", str(js / "sasl_client.js")], cwd=js, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_confluent_kafka_transactions_over_tls(secured):
    _, _, config = secured
    producer = Producer({**config, "transactional.id": "tls-txn"})
    producer.init_transactions(30)
    producer.begin_transaction()
    for i in range(3):
        producer.produce("tls-txn", f"aborted{i}".encode())
    producer.abort_transaction(30)
    producer.begin_transaction()
    for i in range(3):
        producer.produce("tls-txn", f"committed{i}".encode())
    producer.commit_transaction(30)
    consumer = Consumer({**config, "group.id": "tls-txn-reader", "auto.offset.reset": "earliest",
                         "isolation.level": "read_committed"})
    consumer.subscribe(["tls-txn"])
    got = []
    deadline = time.time() + 60
    while len(got) < 3 and time.time() < deadline:
        msg = consumer.poll(1)
        if msg is not None and not msg.error():
            got.append(msg.value().decode())
    consumer.close()
    assert got == [f"committed{i}" for i in range(3)]


def bulk_value(i):
    """4 KiB that say which record they are, so a lost, repeated or reordered record shows."""
    return f"{i:08d}".encode() * 512


def test_megabytes_of_fetches_arrive_whole_over_tls_with_two_clients(mtls, pki):
    # 24 MiB: fetch responses of 1 MiB and more, which the broker sends as many TLS records held
    # and written together (net/coalescing_socket.h), past its 256 KiB send threshold.
    from kafka import KafkaConsumer
    n = 6144
    config = mtls_config(mtls, pki)
    producer = Producer({**config, "linger.ms": 20})
    for i in range(n):
        producer.produce("tls-bulk", bulk_value(i))
        if i % 1000 == 0:
            producer.poll(0)
    assert producer.flush(60) == 0

    consumer = Consumer({**config, "group.id": "tls-bulk-rdkafka", "auto.offset.reset": "earliest",
                         "fetch.max.bytes": 8 << 20, "max.partition.fetch.bytes": 4 << 20})
    consumer.subscribe(["tls-bulk"])
    got = []
    deadline = time.time() + 60
    while len(got) < n and time.time() < deadline:
        msg = consumer.poll(1)
        if msg is not None and not msg.error():
            got.append(msg.value())
    consumer.close()
    assert len(got) == n
    assert all(v == bulk_value(i) for i, v in enumerate(got))

    kp = KafkaConsumer("tls-bulk", bootstrap_servers=mtls.tls, security_protocol="SSL",
                       ssl_cafile=pki.path("ca.crt"), ssl_certfile=pki.path("alice.crt"),
                       ssl_keyfile=pki.path("alice.key"), group_id="tls-bulk-kafka-python",
                       auto_offset_reset="earliest", max_partition_fetch_bytes=4 << 20, consumer_timeout_ms=15000)
    values = []
    for m in kp:  # ends after 15 s without a record, if some never come
        values.append(m.value)
        if len(values) == n:
            break
    kp.close()
    assert len(values) == n
    assert all(v == bulk_value(i) for i, v in enumerate(values))


def test_a_wrong_password_over_sasl_ssl_fails_authentication(sasl_ssl, pki):
    errors = client_errors(sasl_ssl_config(sasl_ssl, pki, password="wrong"))
    assert "Authentication failed" in errors, errors


def test_mutual_tls_client_is_served_as_its_certificate_subject(mtls, pki):
    produce_consume_with_group(mtls_config(mtls, pki), "mtls-topic", n=5)
    assert log_has(mtls, "event=tls_authenticated", f'subject="{ALICE_DN}"', f"principal=User:{ALICE_DN}")


def test_ssl_principal_mapping_rules_shape_the_mutual_tls_principal(start_broker, pki):
    endpoints = start_tls_broker(start_broker, pki, "SSL", "--set", "ssl.client.auth=required", "--set",
                                 "ssl.principal.mapping.rules=RULE:^CN=([^,]+),OU=eng,.*$/$1@eng/U,DEFAULT")
    assert AdminClient(mtls_config(endpoints, pki)).list_topics(timeout=10).brokers
    wait_until(lambda: log_has(endpoints, "event=tls_authenticated", "principal=User:ALICE@ENG"), 10,
               "the mapped principal's log line")


@pytest.mark.parametrize("name, reason", [("untrusted", "certificate"), ("expired", "certificate has expired")])
def test_a_bad_client_certificate_is_refused_at_the_handshake(mtls, pki, name, reason):
    good = AdminClient(mtls_config(mtls, pki))
    assert good.list_topics(timeout=10).brokers
    errors = client_errors(mtls_config(mtls, pki, name))
    assert "SSL" in errors or "Disconnected" in errors or "handshake" in errors.lower(), errors
    wait_until(lambda: log_has(mtls, "tls handshake failed", reason), 10, "the handshake failure's log line")
    assert good.list_topics(timeout=10).brokers  # the other connection is unaffected


def test_a_client_without_a_certificate_is_refused_when_client_auth_is_required(mtls, pki):
    config = {"bootstrap.servers": mtls.tls, "security.protocol": "SSL", "ssl.ca.location": pki.path("ca.crt")}
    client_errors(config)
    wait_until(lambda: log_has(mtls, "tls handshake failed"), 10, "the handshake failure's log line")


def test_listeners_take_their_own_ssl_settings_and_sasl_ssl_ignores_the_broker_wide_client_auth(start_broker, pki):
    # One broker: SSL with the broker-wide ssl.client.auth=required; SASL_SSL, to which that setting
    # does not apply (Kafka's KIP-684); and SASL_SSL "STRICT" that asks for certificates with its own
    # listener.name.strict.ssl.client.auth and serves a certificate of its own.
    pki.issue("strict-server", "/CN=spate-strict", "subjectAltName=IP:127.0.0.1,DNS:localhost")
    p_plain, p_ssl, p_sasl, p_strict = free_port(), free_port(), free_port(), free_port()
    broker = start_broker(
        "--listen", f"PLAINTEXT://127.0.0.1:{p_plain},SSL://127.0.0.1:{p_ssl},SASL_SSL://127.0.0.1:{p_sasl},"
        f"STRICT://127.0.0.1:{p_strict}",
        "--set", "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,STRICT:SASL_SSL",
        *tls_server_args(pki), "--set", "ssl.client.auth=required",
        "--set", "listener.name.strict.ssl.client.auth=required",
        "--set", f"listener.name.strict.ssl.certificate.location={pki.path('strict-server.crt')}",
        "--set", f"listener.name.strict.ssl.key.location={pki.path('strict-server.key')}")
    endpoints = Endpoints(broker, p_plain, p_sasl)
    ok(endpoints, "user", "create", "alice", "--password", PASSWORD, "--mechanism", "SCRAM-SHA-512")
    sasl = sasl_ssl_config(endpoints, pki)
    assert AdminClient(sasl).list_topics(timeout=10).brokers  # no client certificate needed
    strict = {**sasl, "bootstrap.servers": f"127.0.0.1:{p_strict}"}
    client_errors(strict)  # refused without a certificate
    with_certificate = {**strict, "ssl.certificate.location": pki.path("alice.crt"),
                        "ssl.key.location": pki.path("alice.key")}
    assert AdminClient(with_certificate).list_topics(timeout=10).brokers
    assert server_common_name(f"127.0.0.1:{p_strict}", pki) == "spate-strict"
    assert server_common_name(f"127.0.0.1:{p_sasl}", pki) == "spate-server-1"
    client_errors({"bootstrap.servers": f"127.0.0.1:{p_ssl}", "security.protocol": "SSL",
                   "ssl.ca.location": pki.path("ca.crt")})  # SSL still requires one
    assert AdminClient(mtls_config(Endpoints(broker, p_plain, p_ssl), pki)).list_topics(timeout=10).brokers


def test_a_plaintext_client_on_a_tls_port_is_closed_at_once(sasl_ssl, pki):
    good = AdminClient(sasl_ssl_config(sasl_ssl, pki))
    assert good.list_topics(timeout=10).brokers
    host, port = sasl_ssl.tls.split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        header = struct.pack(">hhih", 18, 0, 1, 4) + b"test"  # ApiVersions v0
        s.sendall(struct.pack(">i", len(header)) + header)
        started = time.monotonic()
        while s.recv(4096):  # an alert may come before the close
            pass
        assert time.monotonic() - started < 1
    wait_until(lambda: log_has(sasl_ssl, "tls handshake failed", "listener=SASL_SSL"), 10, "the log line")
    assert good.list_topics(timeout=10).brokers
    with urllib.request.urlopen(sasl_ssl.broker.admin_url + "/metrics", timeout=10) as response:
        metrics = response.read().decode()
    assert "spate_tls_handshake_failures_total 1\n" in metrics


def test_sighup_reloads_the_certificate_for_new_connections_and_keeps_open_ones(start_broker, pki, tmp_path):
    # The broker reads copies, so the module's PKI stays as it is for the other tests.
    for name in ["server.crt", "server.key"]:
        shutil.copy(pki.path(name), tmp_path / name)
    endpoints = start_tls_broker(start_broker, pki, "SASL_SSL", "--set",
                                 f"ssl.certificate.location={tmp_path / 'server.crt'}", "--set",
                                 f"ssl.key.location={tmp_path / 'server.key'}")
    ok(endpoints, "user", "create", "alice", "--password", PASSWORD, "--mechanism", "SCRAM-SHA-512")
    assert server_common_name(endpoints.tls, pki) == "spate-server-1"
    producer = Producer(sasl_ssl_config(endpoints, pki))
    producer.produce("reload", b"before")
    assert producer.flush(30) == 0

    renewed = Pki.__new__(Pki)
    renewed.dir = pki.dir
    name = f"renewed-{uuid.uuid4().hex[:8]}"
    renewed.issue(name, "/CN=spate-server-2", "subjectAltName=IP:127.0.0.1,DNS:localhost")
    # A bad file first: the reload fails with one line and the old certificate stays.
    (tmp_path / "server.key").write_text("not a key")
    endpoints.broker.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: log_has(endpoints, "event=tls_reload_failed"), 10, "the failed reload's log line")
    assert server_common_name(endpoints.tls, pki) == "spate-server-1"

    shutil.copy(pki.path(f"{name}.crt"), tmp_path / "server.crt")
    shutil.copy(pki.path(f"{name}.key"), tmp_path / "server.key")
    endpoints.broker.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: log_has(endpoints, "event=tls_reloaded", "trigger="), 10, "the reload's log line")
    assert server_common_name(endpoints.tls, pki) == "spate-server-2"
    producer.produce("reload", b"after")  # the producer's connection survived the reload
    assert producer.flush(30) == 0
    assert endpoints.broker.proc.poll() is None
