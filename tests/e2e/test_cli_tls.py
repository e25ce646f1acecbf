"""spate's raw-protocol commands (user, acl, quota and cluster info's ApiVersions probe) over TLS
listeners, with the -X properties librdkafka takes: SASL_SSL authenticated with SCRAM, SSL with a
client certificate (mutual TLS), and the failures an operator meets: a CA that does not vouch for
the broker, a certificate for another host name. The broker has no PLAINTEXT listener: the first
SCRAM user is created over mutual TLS by a super user's certificate."""
import pytest
from confluent_kafka.admin import AdminClient

from cli_support import failure, spate, table
from conftest import free_port
from tls_support import pki, tls_server_args  # noqa: F401 - pki is a fixture

ADMIN_PASSWORD = "admin-Pa55word-for-the-cli"
ALICE_PASSWORD = "alice-Pa55word-for-the-cli"


@pytest.fixture(scope="module")
def cli_pki(pki):
    pki.issue("admin", "/CN=admin")
    pki.issue("elsewhere", "/CN=elsewhere", "subjectAltName=DNS:elsewhere.example")
    return pki


class TlsOnlyBroker:
    def __init__(self, broker, ssl_port, sasl_ssl_port):
        self.broker = broker
        self.ssl = f"127.0.0.1:{ssl_port}"
        self.sasl_ssl = f"127.0.0.1:{sasl_ssl_port}"


@pytest.fixture
def tls_only(start_broker, cli_pki):
    """SSL and SASL_SSL listeners only; client certificates verified when sent; `admin` (as a SCRAM
    user or as a certificate's CN=admin) is a super user."""
    p_ssl, p_sasl = free_port(), free_port()
    broker = start_broker("--listen", f"SSL://127.0.0.1:{p_ssl},SASL_SSL://127.0.0.1:{p_sasl}",
                          *tls_server_args(cli_pki), "--set", "ssl.client.auth=requested",
                          "--set", "authorizer.enabled=true", "--set", "super.users=User:admin;User:CN=admin")
    return TlsOnlyBroker(broker, p_ssl, p_sasl)


def ssl_flags(pki, certificate=None, ca="ca.crt"):
    flags = ["-X", "security.protocol=SSL", "-X", f"ssl.ca.location={pki.path(ca)}"]
    if certificate:
        flags += ["-X", f"ssl.certificate.location={pki.path(certificate + '.crt')}",
                  "-X", f"ssl.key.location={pki.path(certificate + '.key')}"]
    return flags


def sasl_ssl_flags(pki, user, password, ca="ca.crt"):
    return ["-X", "security.protocol=SASL_SSL", "-X", f"ssl.ca.location={pki.path(ca)}",
            "-X", "sasl.mechanism=SCRAM-SHA-512", "-X", f"sasl.username={user}", "-X", f"sasl.password={password}"]


def ok_at(address, flags, *args):
    result = spate(*args, "-b", address, *flags)
    assert result.returncode == 0, f"spate {' '.join(args)} exited {result.returncode}: {result.stderr}"
    return result.stdout


def create_admin_over_mutual_tls(endpoints, pki):
    ok_at(endpoints.ssl, ssl_flags(pki, "admin"), "user", "create", "admin", "--password", ADMIN_PASSWORD,
          "--mechanism", "SCRAM-SHA-512")


def log_has(broker, *needles):
    return any(all(n in line for n in needles) for line in broker.log)


def test_user_create_over_sasl_ssl_as_a_super_user(tls_only, cli_pki):
    create_admin_over_mutual_tls(tls_only, cli_pki)
    admin = sasl_ssl_flags(cli_pki, "admin", ADMIN_PASSWORD)
    assert ok_at(tls_only.sasl_ssl, admin, "user", "create", "alice", "--password", ALICE_PASSWORD,
                 "--mechanism", "SCRAM-SHA-512") == "Created: alice\n"
    assert log_has(tls_only.broker, "event=sasl_authenticated", "principal=User:admin", "listener=SASL_SSL")
    users = {row["USER"] for row in table(ok_at(tls_only.sasl_ssl, admin, "user", "list"))}
    assert users == {"admin", "alice"}
    # The credential the CLI made over TLS is one a real client logs in with.
    alice = {"bootstrap.servers": tls_only.sasl_ssl, "security.protocol": "SASL_SSL",
             "ssl.ca.location": cli_pki.path("ca.crt"), "sasl.mechanisms": "SCRAM-SHA-512",
             "sasl.username": "alice", "sasl.password": ALICE_PASSWORD}
    assert AdminClient(alice).list_topics(timeout=10).brokers


@pytest.mark.parametrize("transport", ["SASL_SSL", "SSL with a client certificate"])
def test_acl_create_list_delete_over_tls(tls_only, cli_pki, transport):
    create_admin_over_mutual_tls(tls_only, cli_pki)
    if transport == "SASL_SSL":
        address, flags = tls_only.sasl_ssl, sasl_ssl_flags(cli_pki, "admin", ADMIN_PASSWORD)
    else:
        address, flags = tls_only.ssl, ssl_flags(cli_pki, "admin")
    acl = ["--allow-principal", "User:alice", "--operation", "Read", "--topic", "orders"]
    created = table(ok_at(address, flags, "acl", "create", *acl))
    assert [(r["PRINCIPAL"], r["OPERATION"], r["NAME"]) for r in created] == [("User:alice", "READ", "orders")]
    listed = table(ok_at(address, flags, "acl", "list"))
    assert [(r["PRINCIPAL"], r["OPERATION"], r["NAME"]) for r in listed] == [("User:alice", "READ", "orders")]
    ok_at(address, flags, "acl", "delete", *acl)
    assert ok_at(address, flags, "acl", "list").strip() == "No ACLs"


def test_quota_and_cluster_info_speak_tls_too(tls_only, cli_pki):
    flags = ssl_flags(cli_pki, "admin")
    assert ok_at(tls_only.ssl, flags, "quota", "alter", "--client-id", "slow", "--set",
                 "producer_byte_rate=1024") == "Altered: client-id=slow\n"
    assert "producer_byte_rate" in ok_at(tls_only.ssl, flags, "quota", "describe", "--client-id", "slow")
    info = ok_at(tls_only.ssl, flags, "cluster", "info")
    assert "API versions served by " + tls_only.ssl in info, info


def test_a_ca_that_does_not_vouch_for_the_broker_fails_with_one_line(tls_only, cli_pki):
    for address, flags in [(tls_only.ssl, ssl_flags(cli_pki, "admin", ca="untrusted.crt")),
                           (tls_only.sasl_ssl, sasl_ssl_flags(cli_pki, "admin", ADMIN_PASSWORD, ca="untrusted.crt"))]:
        line = failure(spate("acl", "list", "-b", address, *flags))
        assert f"SSL handshake with {address} failed: certificate verify failed" in line, line


@pytest.fixture
def elsewhere(start_broker, cli_pki):
    """A broker whose certificate names elsewhere.example only (the CA is the right one)."""
    port = free_port()
    start_broker("--listen", f"SSL://127.0.0.1:{port}", *tls_server_args(cli_pki, "elsewhere"))
    return port


def test_a_certificate_for_another_host_name_fails_unless_identification_is_off(elsewhere, cli_pki):
    for host, mismatch in [("127.0.0.1", "IP address mismatch"), ("localhost", "hostname mismatch")]:
        address = f"{host}:{elsewhere}"
        line = failure(spate("user", "list", "-b", address, *ssl_flags(cli_pki)))
        assert f"SSL handshake with {address} failed: certificate verify failed: {mismatch}" in line, line
        unchecked = ssl_flags(cli_pki) + ["-X", "ssl.endpoint.identification.algorithm=none"]
        assert ok_at(address, unchecked, "user", "list") == "No SCRAM users\n"


def test_the_host_name_is_checked_against_the_certificate_by_default(tls_only, cli_pki):
    # The server certificate names 127.0.0.1 and localhost: both pass the default check.
    create_admin_over_mutual_tls(tls_only, cli_pki)
    port = tls_only.ssl.split(":")[1]
    assert "admin" in ok_at(f"localhost:{port}", ssl_flags(cli_pki, "admin"), "user", "list")
