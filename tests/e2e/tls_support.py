"""Certificates for the TLS tests, made with the `openssl` CLI in a temporary directory, and a broker
started with them: shared by test_tls.py (the broker's listeners), test_cli_tls.py (spate's own
raw-protocol client over them) and test_admin_https.py (the admin API)."""
import socket
import ssl
import subprocess

import pytest

from conftest import free_port


def openssl(*args, cwd):
    result = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"openssl {' '.join(args)}: {result.stderr}"


class Pki:
    """PEM files in `dir`: ca, server (SAN 127.0.0.1, localhost), alice, expired, untrusted."""

    def __init__(self, dir):
        self.dir = dir
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "30", "-subj",
                "/O=Spate Test/CN=test-ca", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
                "keyUsage=critical,keyCertSign,cRLSign", cwd=dir)
        self.issue("server", "/CN=spate-server-1", "subjectAltName=IP:127.0.0.1,DNS:localhost")
        self.issue("alice", "/O=Acme/OU=eng/CN=alice")
        # Expired: `openssl ca` is the CLI that accepts a start and end date in the past.
        openssl("req", *ec, "-keyout", "expired.key", "-out", "expired.csr", "-subj", "/CN=expired", cwd=dir)
        (dir / "index.txt").write_text("")
        (dir / "serial").write_text("1000\n")
        (dir / "ca.cnf").write_text("[ca]\ndefault_ca = test\n[test]\ndatabase = index.txt\nserial = serial\n"
                                    "new_certs_dir = .\ndefault_md = sha256\npolicy = any\n[any]\n"
                                    "commonName = supplied\n")
        openssl("ca", "-batch", "-config", "ca.cnf", "-cert", "ca.crt", "-keyfile", "ca.key", "-startdate",
                "20200101000000Z", "-enddate", "20200201000000Z", "-in", "expired.csr", "-out", "expired.crt",
                "-notext", cwd=dir)
        # Untrusted: signed by a CA the broker does not know.
        openssl("req", "-x509", *ec, "-keyout", "untrusted.key", "-out", "untrusted.crt", "-days", "30", "-subj",
                "/CN=mallory", cwd=dir)

    def issue(self, name, subject, extension=None):
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=self.dir)
        args = ["x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "30", "-out", f"{name}.crt"]
        if extension:
            (self.dir / f"{name}.ext").write_text(extension + "\n")
            args += ["-extfile", f"{name}.ext"]
        openssl(*args, cwd=self.dir)

    def path(self, name):
        return str(self.dir / name)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("pki"))


class Endpoints:
    def __init__(self, broker, plaintext_port, tls_port):
        self.broker = broker
        self.plaintext = f"127.0.0.1:{plaintext_port}"
        self.tls = f"127.0.0.1:{tls_port}"
        self.bootstrap = self.plaintext  # for cli_support.ok()


def tls_server_args(pki, name="server"):
    """`spate serve` arguments for TLS listeners serving pki's `name` certificate, trusting its CA."""
    return ["--set", f"ssl.certificate.location={pki.path(name + '.crt')}",
            "--set", f"ssl.key.location={pki.path(name + '.key')}",
            "--set", f"ssl.ca.location={pki.path('ca.crt')}"]


def start_tls_broker(start_broker, pki, protocol, *extra, data_dir=None):
    p0, p1 = free_port(), free_port()
    broker = start_broker("--listen", f"PLAINTEXT://127.0.0.1:{p0},{protocol}://127.0.0.1:{p1}",
                          *tls_server_args(pki), *extra, data_dir=data_dir)
    return Endpoints(broker, p0, p1)


def server_common_name(address, pki):
    """The common name of the certificate the TLS server at "host:port" presents."""
    context = ssl.create_default_context(cafile=pki.path("ca.crt"))
    host, port = address.split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            return dict(item[0] for item in tls.getpeercert()["subject"])["commonName"]
