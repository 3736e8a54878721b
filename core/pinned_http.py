"""HTTP connections to the address the outbound guard checked (:mod:`core.ssrf`).

The pool connects to ``target.address`` while TLS still verifies the certificate against the
host name, so a DNS answer that changes after the check cannot redirect the request.
"""

from __future__ import annotations

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
