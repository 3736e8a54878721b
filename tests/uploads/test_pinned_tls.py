"""Asset downloads over TLS connect to the checked address and verify the certificate against
the asset URL's host name (``core.pinned_http.pinned_connection``)."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core import pinned_http
from core.ssrf import FetchTarget
from tests.fakes.loopback import QuietHTTPServer


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _certificate(subject: str, key, issuer: str, issuer_key, *, ca: bool) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = f"hello {self.headers['Host']}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def tls_server(tmp_path, monkeypatch) -> Iterator[int]:
    """An HTTPS server on 127.0.0.1 whose certificate names ``assets.example``, issued by a CA
    the pinned connections trust; yields its port."""
    ca_key, server_key = _key(), _key()
    ca = _certificate("Test CA", ca_key, "Test CA", ca_key, ca=True)
    server_cert = _certificate("assets.example", server_key, "Test CA", ca_key, ca=False)
    (tmp_path / "cert.pem").write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    trusted = ssl.create_default_context(
        cadata=ca.public_bytes(serialization.Encoding.PEM).decode()
    )
    monkeypatch.setattr(pinned_http, "_tls_context", lambda: trusted)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server = QuietHTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _target(host: str, port: int) -> FetchTarget:
    return FetchTarget(scheme="https", host=host, port=port, address="127.0.0.1", path="/a")


def test_the_checked_address_is_reached_with_the_host_name_verified(tls_server):
    connection = pinned_http.pinned_connection(_target("assets.example", tls_server), timeout=5)
    connection.request("GET", "/a", headers={"Host": "assets.example"})

    assert connection.getresponse().read() == b"hello assets.example"
    connection.close()


def test_a_certificate_for_another_name_is_refused(tls_server):
    connection = pinned_http.pinned_connection(_target("other.example", tls_server), timeout=5)

    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        connection.request("GET", "/a", headers={"Host": "other.example"})
    connection.close()
