"""HTTP connections to the address the outbound guard checked (:mod:`core.ssrf`).

Both kinds connect to ``target.address`` while TLS still verifies the certificate against the
host name, so a DNS answer that changes after the check cannot redirect the request:

- :func:`pinned_pool`, a urllib3 pool, for short requests (webhooks);
- :func:`pinned_connection`, a plain ``http.client`` connection, for large downloads: its
  response's ``readinto`` reads straight from the socket into the caller's buffer, where
  urllib3's ``read`` copies every block several times.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from functools import cache

import certifi
import urllib3

from core.ssrf import FetchTarget


def host_header(target: FetchTarget) -> str:
    default = 443 if target.scheme == "https" else 80
    return target.host if target.port == default else f"{target.host}:{target.port}"


def pinned_pool(target: FetchTarget) -> urllib3.HTTPConnectionPool:
    """A one-connection pool to ``target.address`` (the caller closes it when done)."""
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            maxsize=1,
        )
    return urllib3.HTTPConnectionPool(target.address, target.port, maxsize=1)


@cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())  # verifies chain and name


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to the checked address; TLS (SNI, certificate name) speaks to ``server_name``."""

    def __init__(self, address: str, port: int, *, server_name: str, timeout: float) -> None:
        self._tls = _tls_context()
        super().__init__(address, port, timeout=timeout, context=self._tls)
        self._server_name = server_name

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        try:
            self.sock = self._tls.wrap_socket(sock, server_hostname=self._server_name)
        except BaseException:
            sock.close()
            raise


def pinned_connection(target: FetchTarget, *, timeout: float) -> http.client.HTTPConnection:
    """A connection to ``target.address`` (not yet open; the caller closes it)."""
    if target.scheme == "https":
        return _PinnedHTTPSConnection(
            target.address, target.port, server_name=target.host, timeout=timeout
        )
    return http.client.HTTPConnection(target.address, target.port, timeout=timeout)
