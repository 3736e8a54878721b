"""The SSRF guard for ``assetUrl``: only public https addresses, checked twice.

At submission the URL is parsed and its host resolved; every address it resolves to must be
public. When the worker fetches, :func:`resolve_target` is called again and the connection goes
to the address that was checked (pinned), so a DNS answer that changes between the check and
the connection cannot reach an internal service; each redirect hop is checked the same way.

Numeric spellings (``0x7f000001``, ``2130706433``, ``127.1``) are resolved by the C library to
the address they denote, and IPv6 forms that embed an IPv4 address (``::ffff:127.0.0.1``,
6to4, NAT64) are judged by the embedded address.

``OUTBOUND_ALLOWED_HOSTS`` lists ``host:port`` pairs exempt from the scheme and address
checks. It exists for tests, whose fake asset servers and webhook receivers listen on
127.0.0.1; it is empty by default and must stay empty in production.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Every globally routable IPv6 unicast address is in 2000::/3; outside it lie loopback, the
# unspecified address, site-local fec0::/10, unique-local fc00::/7, link-local fe80::/10,
# multicast, discard 100::/64, local-use NAT64 64:ff9b:1::/48, SRv6 5f00::/16, ...
_IPV6_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
# Special-purpose ranges (IANA registries) that Python's ``is_global`` does not exclude in
# every supported Python version.
_SPECIAL_PURPOSE = tuple(
    ipaddress.ip_network(network)
    for network in (
        "192.0.0.0/24",  # IETF protocol assignments (newer Pythons call 192.0.0.9/.10 global)
        "192.88.99.0/24",  # deprecated 6to4 relay anycast (RFC 7526)
        "3fff::/20",  # documentation (RFC 9637)
    )
)
_BLOCKED_NAMES = frozenset({"localhost", "localhost.localdomain", "metadata.google.internal"})


class UnsafeAssetUrl(Exception):
    """The URL is not https, or reaches (or may reach) a non-public address."""


@dataclass(frozen=True)
class FetchTarget:
    """Where to connect for ``url``: the checked address, and the name for Host/TLS."""

    scheme: str
    host: str
    port: int
    address: str
    path: str  # path and query, as sent in the request line


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(address: IPAddress) -> bool:
    """True only for globally routable unicast addresses (no loopback, private, link-local,
    site-local, shared, multicast, reserved, benchmarking or documentation ranges; metadata
    services live in those). An IPv6 address that carries an IPv4 one (mapped, 6to4, Teredo,
    NAT64) is judged by that IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public_address(embedded)
        if address not in _IPV6_GLOBAL_UNICAST or address.is_site_local:
            return False
    if any(address in network for network in _SPECIAL_PURPOSE):
        return False
    return address.is_global and not (address.is_multicast or address.is_reserved)


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeAssetUrl(f"The host {host!r} cannot be resolved.") from exc
    addresses = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        # Drop an IPv6 zone ("fe80::1%eth0") before parsing.
        addresses.append(ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0]))
    if not addresses:
        raise UnsafeAssetUrl(f"The host {host!r} has no address.")
    return addresses


def _is_test_allowance(host: str, port: int) -> bool:
    return f"{host}:{port}" in settings.OUTBOUND_ALLOWED_HOSTS


def resolve_target(url: str) -> FetchTarget:
    """Check ``url`` and return the address to connect to; raise :class:`UnsafeAssetUrl`."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeAssetUrl("The URL is malformed.") from exc
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UnsafeAssetUrl("The URL has no host.")
    if parts.username or parts.password:
        raise UnsafeAssetUrl("The URL must not carry credentials.")
    scheme = parts.scheme.lower()
    port = port or (443 if scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    if _is_test_allowance(host, port) and scheme in ("http", "https"):
        allowed = str(_resolve(host, port)[0])
        return FetchTarget(scheme=scheme, host=host, port=port, address=allowed, path=path)
    if scheme != "https":
        raise UnsafeAssetUrl("The URL must use https.")
    if host in _BLOCKED_NAMES or host.endswith(".localhost"):
        raise UnsafeAssetUrl(f"The host {host!r} is not a public host.")
    addresses = _resolve(host, port)
    for address in addresses:
        if not is_public_address(address):
            raise UnsafeAssetUrl(f"The host {host!r} resolves to a non-public address.")
    return FetchTarget(scheme=scheme, host=host, port=port, address=str(addresses[0]), path=path)
