"""SASL re-authentication (KIP-368) with connections.max.reauth.ms=2000: the broker reports the
session lifetime in SaslAuthenticate, a client that re-authenticates on the same connection keeps it,
one that does not is closed on its first request after the lifetime, and a re-authentication as
another principal or with another mechanism is refused and closes the connection.

The re-authenticating client is a raw wire client (SaslHandshake v1 + SaslAuthenticate v1 with a
SCRAM-SHA-256 client written here from RFC 5802/7677): the librdkafka installed here (2.0.2) and
kafkajs predate KIP-368 support, so they do not re-authenticate; the librdkafka test checks that
such clients keep working across expiries by reconnecting, as they do against Kafka."""
import base64
import hashlib
import hmac
import os
import socket
import struct
import time

import pytest
from confluent_kafka import Consumer, Producer

from cli_support import ok
from conftest import wait_until
from test_sasl import PASSWORD, client_config, start_sasl_broker, users_file  # noqa: F401 (a fixture)

LIFETIME_MS = 2000
SASL_HANDSHAKE, SASL_AUTHENTICATE, METADATA = 17, 36, 3
ILLEGAL_SASL_STATE, SASL_AUTHENTICATION_FAILED = 34, 58


@pytest.fixture
def reauth(start_broker, users_file):
    endpoints = start_sasl_broker(start_broker, "--set", f"sasl.plain.users.file={users_file}",
                                  "--set", f"connections.max.reauth.ms={LIFETIME_MS}")
    for user in ("alice", "carol"):
        ok(endpoints, "user", "create", user, "--password", PASSWORD, "--mechanism", "SCRAM-SHA-256")
    return endpoints


class WireClient:
    """One connection to the SASL listener, speaking just enough Kafka to authenticate and ask."""

    def __init__(self, endpoints):
        host, port = endpoints.sasl.split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.correlation_id = 0

    def close(self):
        self.sock.close()

    def request(self, api_key, version, body):
        """The response body (after the correlation id), or None when the broker closed the connection."""
        self.correlation_id += 1
        header = struct.pack(">hhih", api_key, version, self.correlation_id, 4) + b"test"
        try:
            self.sock.sendall(struct.pack(">i", len(header) + len(body)) + header + body)
            size = self._exact(4)
            frame = None if size is None else self._exact(struct.unpack(">i", size)[0])
        except (ConnectionResetError, BrokenPipeError):
            return None
        if frame is None:
            return None
        assert struct.unpack(">i", frame[:4])[0] == self.correlation_id
        return frame[4:]

    def _exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def handshake(self, mechanism):
        body = self.request(SASL_HANDSHAKE, 1, struct.pack(">h", len(mechanism)) + mechanism.encode())
        return None if body is None else struct.unpack(">h", body[:2])[0]

    def sasl_authenticate(self, token):
        """(error_code, error_message, auth_bytes, session_lifetime_ms), or None when closed."""
        body = self.request(SASL_AUTHENTICATE, 1, struct.pack(">i", len(token)) + token)
        if body is None:
            return None
        error, message_len = struct.unpack(">hh", body[:4])
        offset = 4
        message = None
        if message_len >= 0:
            message = body[offset:offset + message_len].decode()
            offset += message_len
        (token_len,) = struct.unpack(">i", body[offset:offset + 4])
        offset += 4
        token = body[offset:offset + token_len]
        (lifetime,) = struct.unpack(">q", body[offset + token_len:offset + token_len + 8])
        return error, message, token, lifetime

    def authenticate(self, user, password=PASSWORD, mechanism="SCRAM-SHA-256"):
        """SCRAM-SHA-256 on this connection: the last SaslAuthenticate's result, or None when closed."""
        error = self.handshake(mechanism)
        if error != 0:
            return error
        nonce = base64.b64encode(os.urandom(18)).decode()
        first_bare = f"n={user},r={nonce}"
        first = self.sasl_authenticate(f"n,,{first_bare}".encode())
        if first is None or first[0] != 0:
            return first
        server_first = first[2].decode()
        fields = dict(part.split("=", 1) for part in server_first.split(","))
        salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(fields["s"]), int(fields["i"]))
        client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
        stored_key = hashlib.sha256(client_key).digest()
        without_proof = f"c=biws,r={fields['r']}"
        auth_message = f"{first_bare},{server_first},{without_proof}".encode()
        signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        return self.sasl_authenticate(f"{without_proof},p={base64.b64encode(proof).decode()}".encode())

    def metadata(self):
        """Metadata v1 for no topics: the response body, or None when the broker closed the connection."""
        return self.request(METADATA, 1, struct.pack(">i", 0))


def broker_metric(endpoints, name):
    import urllib.request
    with urllib.request.urlopen(f"{endpoints.broker.admin_url}/metrics", timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def log_count(endpoints, *needles):
    return sum(1 for line in endpoints.broker.log if all(n in line for n in needles))


def test_a_client_that_reauthenticates_in_time_keeps_its_connection(reauth):
    client = WireClient(reauth)
    error, _, _, lifetime = client.authenticate("alice")
    assert (error, lifetime) == (0, LIFETIME_MS)
    authenticated_at = time.monotonic()
    reauthentications = 0
    deadline = authenticated_at + 7
    while time.monotonic() < deadline:
        assert client.metadata() is not None, "the broker closed a connection whose session was renewed"
        if time.monotonic() - authenticated_at > 0.6 * LIFETIME_MS / 1000:  # as clients do: well before expiry
            error, _, _, lifetime = client.authenticate("alice")
            assert (error, lifetime) == (0, LIFETIME_MS)
            authenticated_at = time.monotonic()
            reauthentications += 1
        time.sleep(0.1)  # pacing of the client's own requests, not a wait for the broker
    assert reauthentications >= 5
    assert client.metadata() is not None
    client.close()
    assert broker_metric(reauth, "spate_sasl_reauthentications_total") >= reauthentications
    assert broker_metric(reauth, "spate_sasl_expired_sessions_closed_total") == 0
    assert log_count(reauth, "event=sasl_reauthenticated", "principal=User:alice") >= reauthentications
    assert log_count(reauth, "event=sasl_authenticated ", "principal=User:alice") == 1  # one connection


def test_a_client_that_does_not_reauthenticate_is_closed_on_its_next_request_after_the_lifetime(reauth):
    client = WireClient(reauth)
    assert client.authenticate("alice")[0] == 0
    assert client.metadata() is not None
    time.sleep(LIFETIME_MS / 1000 + 0.2)  # the session's lifetime itself is what is being tested
    assert client.metadata() is None
    client.close()
    wait_until(lambda: log_count(reauth, "expired (connections.max.reauth.ms)", "User:alice") == 1, 10,
               "the expiry's log line")
    assert broker_metric(reauth, "spate_sasl_expired_sessions_closed_total") == 1
    # Reconnecting works as for any new connection.
    again = WireClient(reauth)
    assert again.authenticate("alice")[0] == 0
    assert again.metadata() is not None
    again.close()


def test_reauthentication_as_another_principal_is_refused_and_closes(reauth):
    client = WireClient(reauth)
    assert client.authenticate("alice")[0] == 0
    error, message, _, _ = client.authenticate("carol")
    assert error == SASL_AUTHENTICATION_FAILED
    assert message == "Cannot change principals during re-authentication from User:alice: User:carol"
    assert client.metadata() is None
    client.close()


def test_reauthentication_with_another_mechanism_is_refused_and_closes(reauth):
    client = WireClient(reauth)
    assert client.authenticate("alice")[0] == 0
    assert client.handshake("SCRAM-SHA-512") == ILLEGAL_SASL_STATE
    assert client.metadata() is None
    client.close()
    wait_until(lambda: log_count(reauth, "event=sasl_reauthentication_failed", "mechanism changed") == 1, 10,
               "the refusal's log line")


def test_librdkafka_producer_and_consumer_keep_working_across_several_session_lifetimes(reauth):
    topic = "reauth-stream"
    config = client_config(reauth, "SCRAM-SHA-256")
    errors = []
    producer = Producer({**config, "error_cb": lambda e: errors.append(e)})
    consumer = Consumer({**config, "group.id": "reauth-group", "auto.offset.reset": "earliest",
                         "error_cb": lambda e: errors.append(e)})
    consumer.subscribe([topic])
    sent, received = [], []
    started = time.monotonic()
    while time.monotonic() - started < 8:  # four session lifetimes
        value = f"m{len(sent)}"
        producer.produce(topic, value.encode())
        sent.append(value)
        producer.poll(0)
        msg = consumer.poll(0.1)
        if msg is not None and not msg.error():
            received.append(msg.value().decode())
    assert producer.flush(30) == 0
    deadline = time.monotonic() + 30
    while len(received) < len(sent) and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and not msg.error():
            received.append(msg.value().decode())
    consumer.close()
    assert received == sent
    # librdkafka before 2.2 does not re-authenticate: its expired connections are closed and it
    # reconnects (transparently); a KIP-368 librdkafka renews its sessions instead.
    renewed_or_closed = (broker_metric(reauth, "spate_sasl_reauthentications_total") +
                         broker_metric(reauth, "spate_sasl_expired_sessions_closed_total"))
    assert renewed_or_closed >= 2, [str(e) for e in errors]
