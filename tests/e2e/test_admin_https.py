"""The admin API over HTTPS (issue 16): admin.listeners=https://... serves with the broker's ssl.*
certificate; HTTP Basic travels inside TLS; admin.authentication=mtls takes the principal from the
client certificate (ssl.principal.mapping.rules) and applies the same ACLs as the Kafka API. Real
clients: Python's ssl/urllib, `spate status` / `spate lag` with --admin-ca/--admin-cert, and a real
Prometheus scraping /metrics over HTTPS with basic_auth."""
import base64
import json
import os
import pathlib
import signal
import shutil
import ssl
import subprocess
import urllib.error
import urllib.request

import pytest

from cli_support import ok, spate
from conftest import SPATE, free_port, wait_until
from test_admin_security import write_acls
from test_prometheus import PROMETHEUS, prometheus, query  # noqa: F401 (prometheus is a fixture)
from tls_support import Pki, server_common_name

PASSWORD = "https-admin-Pa55"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    pki = Pki(tmp_path_factory.mktemp("admin-pki"))
    pki.issue("bob", "/CN=bob")
    return pki


def client_context(pki, identity=None):
    context = ssl.create_default_context(cafile=pki.path("ca.crt"))
    if identity:
        context.load_cert_chain(pki.path(f"{identity}.crt"), pki.path(f"{identity}.key"))
    return context


def call(url, context, path="/v1/status", user=None):
    """(status, parsed JSON body or text) of one GET."""
    request = urllib.request.Request(url + path)
    if user:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{PASSWORD}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=15, context=context) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def refused(url, context, path="/v1/status"):
    """True when the TLS connection fails (handshake or the server's alert right after it)."""
    try:
        call(url, context, path)
    except (urllib.error.URLError, ssl.SSLError, ConnectionError):
        return True
    return False


def https_settings(pki, *extra, cert_dir=None):
    cert_dir = pathlib.Path(cert_dir or pki.dir)
    return ["--set", f"admin.listeners=https://127.0.0.1:{free_port()}",
            "--set", f"ssl.certificate.location={cert_dir / 'server.crt'}",
            "--set", f"ssl.key.location={cert_dir / 'server.key'}",
            "--set", f"ssl.ca.location={pki.path('ca.crt')}", *extra]


@pytest.fixture
def https_basic(start_broker, pki, tmp_path):
    """admin.authentication=basic over HTTPS, with the SCRAM users admin (super user) and viewer."""
    data = tmp_path / "data"
    setup = start_broker(data_dir=data)
    for user in ("admin", "viewer"):
        ok(setup, "user", "create", user, "--password", PASSWORD)
    setup.stop()
    return start_broker(*https_settings(pki, "--set", "admin.authentication=basic", "--set",
                                        "authorizer.enabled=true", "--set", "super.users=User:admin"),
                        data_dir=data)


@pytest.fixture
def https_mtls(start_broker, pki, tmp_path):
    """admin.authentication=mtls: alice (CN=alice,OU=eng,O=Acme) may DESCRIBE the cluster, bob not."""
    data = tmp_path / "data"
    data.mkdir()
    write_acls(data, [("User:CN=alice,OU=eng,O=Acme", "DESCRIBE", "CLUSTER", "kafka-cluster", "LITERAL")])
    return start_broker(*https_settings(pki, "--set", "admin.authentication=mtls", "--set",
                                        "authorizer.enabled=true"), data_dir=data)


def test_https_carries_basic_credentials_and_answers_401_without_them(https_basic, pki):
    url = https_basic.admin_url
    assert url.startswith("https://127.0.0.1:")
    context = client_context(pki)
    status, body = call(url, context)
    assert status == 401
    assert body["error"] == "AUTHENTICATION_FAILED"
    status, body = call(url, context, user="admin")
    assert status == 200, body
    assert body["node_id"] == 1
    assert call(url, context, "/metrics", user="viewer")[0] == 403  # no DESCRIBE on the cluster
    assert call(url, context, "/v1/health/live")[0] == 200


def test_a_plaintext_http_client_on_the_https_port_is_closed_and_others_are_served(https_basic, pki):
    url = https_basic.admin_url
    with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
        urllib.request.urlopen(url.replace("https://", "http://") + "/v1/health/live", timeout=15).read()
    wait_until(lambda: any("event=admin_tls_handshake_failed" in line for line in https_basic.log), 10,
               "the handshake failure's log line")
    assert call(url, client_context(pki), "/v1/health/live")[0] == 200
    # A client that does not trust the broker's CA is refused by its own verification.
    assert refused(url, ssl.create_default_context())


def test_spate_status_and_lag_reach_the_https_api_with_the_ca_file(https_basic, pki):
    host_port = https_basic.admin_url.removeprefix("https://")
    admin = f"https://admin:{PASSWORD}@{host_port}"
    shown = spate("status", "--json", "--admin", admin, "--admin-ca", pki.path("ca.crt"))
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["node_id"] == 1
    # The host name is checked against the certificate: localhost is in its subjectAltName too.
    port = host_port.rsplit(":", 1)[1]
    env = {**os.environ, "SPATE_ADMIN": f"https://admin:{PASSWORD}@localhost:{port}",
           "SPATE_ADMIN_CA": pki.path("ca.crt")}
    lag = spate("lag", "--json", env=env)
    assert lag.returncode == 0, lag.stderr
    assert "groups" in json.loads(lag.stdout)
    untrusted = spate("status", "--admin", admin)
    assert untrusted.returncode != 0
    assert "TLS handshake failed" in untrusted.stderr and "certificate" in untrusted.stderr, untrusted.stderr
    assert PASSWORD not in untrusted.stderr


def test_mutual_tls_serves_the_certificate_principal_under_the_acls(https_mtls, pki):
    url = https_mtls.admin_url
    status, body = call(url, client_context(pki, "alice"))
    assert status == 200, body
    status, body = call(url, client_context(pki, "bob"), "/metrics")
    assert status == 403
    assert body["error"] == "CLUSTER_AUTHORIZATION_FAILED"
    assert "User:CN=bob" in body["message"]
    assert refused(url, client_context(pki))  # no certificate
    assert refused(url, client_context(pki, "untrusted"))
    assert refused(url, client_context(pki, "expired"))
    assert call(url, client_context(pki, "alice"), "/v1/health/ready")[0] == 200


def test_spate_status_presents_its_client_certificate(https_mtls, pki):
    args = ["status", "--json", "--admin", https_mtls.admin_url, "--admin-ca", pki.path("ca.crt")]
    without = spate(*args)
    assert without.returncode != 0
    shown = spate(*args, "--admin-cert", pki.path("alice.crt"), "--admin-key", pki.path("alice.key"))
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["node_id"] == 1


def test_mtls_needs_an_https_admin_listener_and_the_broker_stops_before_touching_its_data(tmp_path):
    data = tmp_path / "never-created"
    result = subprocess.run([str(SPATE), "serve", "--listen", f"127.0.0.1:{free_port()}", "--data-dir", str(data),
                             "--set", "admin.listeners=127.0.0.1:0", "--set", "admin.authentication=mtls"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "admin.authentication=mtls needs an https:// admin.listeners address" in result.stderr
    assert not data.exists()


def test_sighup_reloads_the_admin_certificate(start_broker, pki, tmp_path):
    for name in ["server.crt", "server.key"]:
        shutil.copy(pki.path(name), tmp_path / name)
    broker = start_broker(*https_settings(pki, cert_dir=tmp_path))
    address = broker.admin_url.removeprefix("https://")
    assert server_common_name(address, pki) == "spate-server-1"
    pki.issue("admin-renewed", "/CN=spate-server-2", "subjectAltName=IP:127.0.0.1,DNS:localhost")
    shutil.copy(pki.path("admin-renewed.crt"), tmp_path / "server.crt")
    shutil.copy(pki.path("admin-renewed.key"), tmp_path / "server.key")
    broker.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: server_common_name(address, pki) == "spate-server-2", 10, "the renewed certificate")
    assert broker.proc.poll() is None


@pytest.mark.skipif(not pathlib.Path(PROMETHEUS).exists(), reason="needs the prometheus package")
def test_a_real_prometheus_scrapes_metrics_over_https_with_basic_auth(https_basic, pki, prometheus):  # noqa: F811
    url = prometheus(https_basic.admin_url,
                     f"    tls_config:\n      ca_file: {pki.path('ca.crt')}\n"
                     f"    basic_auth:\n      username: admin\n      password: {PASSWORD}\n")
    wait_until(lambda: any(r["value"][1] == "1" for r in query(url, 'up{job="spate"}')), 60,
               "a successful scrape over https")
    assert query(url, "spate_connections_active")
