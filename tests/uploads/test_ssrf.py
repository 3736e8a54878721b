"""assetUrl may only reach public https hosts: refused at submission, and again at fetch."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from billing.models import PlanUsage
from core.ssrf import UnsafeAssetUrl, is_public_address, resolve_target
from providers.errors import PermanentProviderError
from uploads.asset_stream import RemoteAsset
from uploads.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture
def dns(monkeypatch) -> dict[str, str]:
    """Names added here resolve to the given address; others resolve as usual."""
    names: dict[str, str] = {}
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host in names:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (names[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return names


REFUSED_AT_SUBMISSION = [
    "https://127.0.0.1/video.mp4",
    "https://localhost/video.mp4",
    "https://[::1]/video.mp4",
    "https://0x7f000001/video.mp4",
    "https://2130706433/video.mp4",
    "https://10.0.0.1/video.mp4",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::ffff:127.0.0.1]/video.mp4",
    "https://rebind.example/video.mp4",  # a name resolving to 127.0.0.1
    "https://127.1/video.mp4",
    "https://192.168.1.10/video.mp4",
    "https://100.64.0.1/video.mp4",
    "https://[fd00:ec2::254]/video.mp4",
    "https://224.0.0.1/video.mp4",
    "https://0.0.0.0/video.mp4",
    "https://[64:ff9b::a9fe:a9fe]/video.mp4",  # NAT64 of 169.254.169.254
    "https://[fec0::1]/video.mp4",  # deprecated IPv6 site-local
    "http://cdn.example.com/video.mp4",  # not https
    "https://user:secret@cdn.example.com/video.mp4",
    "ftp://cdn.example.com/video.mp4",
    "not a url",
]


@pytest.mark.parametrize("url", REFUSED_AT_SUBMISSION)
def test_unsafe_asset_urls_are_refused_at_submission(auth_client, channel, dns, url):
    dns["rebind.example"] = "127.0.0.1"
    dns["cdn.example.com"] = "93.184.216.34"

    response = auth_client.post(
        "/api/v1/upload",
        {"channelId": str(channel.pk), "assetUrl": url, "title": "t"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_asset_url"
    assert response.json()["errors"][0]["attr"] == "assetUrl"
    assert not Job.objects.exists()
    assert not PlanUsage.objects.exists()


NOT_PUBLIC_ADDRESSES = {
    "0.0.0.0/8 this network": "0.1.2.3",
    "10.0.0.0/8 private": "10.1.2.3",
    "100.64.0.0/10 shared (CGN)": "100.64.0.1",
    "127.0.0.0/8 loopback": "127.0.0.2",
    "169.254.0.0/16 link-local (metadata)": "169.254.169.254",
    "172.16.0.0/12 private": "172.16.5.4",
    "192.0.0.0/24 IETF protocol assignments": "192.0.0.9",
    "192.0.2.0/24 documentation": "192.0.2.1",
    "192.88.99.0/24 6to4 relay anycast": "192.88.99.1",
    "192.168.0.0/16 private": "192.168.1.1",
    "198.18.0.0/15 benchmarking": "198.18.0.1",
    "198.51.100.0/24 documentation": "198.51.100.1",
    "203.0.113.0/24 documentation": "203.0.113.1",
    "224.0.0.0/4 multicast": "224.0.0.1",
    "240.0.0.0/4 reserved": "240.0.0.1",
    "255.255.255.255 broadcast": "255.255.255.255",
    ":: unspecified": "::",
    "::1 loopback": "::1",
    "::ffff:0:0/96 mapped private IPv4": "::ffff:10.0.0.1",
    "64:ff9b::/96 NAT64 of loopback": "64:ff9b::7f00:1",
    "64:ff9b:1::/48 local-use NAT64": "64:ff9b:1::1",
    "100::/64 discard": "100::1",
    "2001::/32 Teredo of a private client": "2001:0:4136:e378:8000:63bf:f5ff:fffe",
    "2001::/23 IETF protocol assignments": "2001:2::1",
    "2001:db8::/32 documentation": "2001:db8::1",
    "2002::/16 6to4 of a private IPv4": "2002:c0a8:0101::1",
    "3fff::/20 documentation": "3fff::1",
    "5f00::/16 SRv6 SIDs": "5f00::1",
    "fc00::/7 unique local": "fd00:ec2::254",
    "fe80::/10 link-local": "fe80::1",
    "fec0::/10 site-local (deprecated)": "fec0::1",
    "ff00::/8 multicast": "ff02::1",
    "4000::/3 not yet allocated": "4000::1",
}


@pytest.mark.parametrize("address", NOT_PUBLIC_ADDRESSES.values(), ids=NOT_PUBLIC_ADDRESSES)
def test_every_special_purpose_range_is_not_public(address):
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    [
        "93.184.216.34",
        "2606:4700::1111",
        "::ffff:93.184.216.34",  # mapped public IPv4
        "2002:5db8:d822::1",  # 6to4 of 93.184.216.34
        "64:ff9b::5db8:d822",  # NAT64 of 93.184.216.34
    ],
)
def test_globally_routable_unicast_addresses_are_public(address):
    assert is_public_address(ipaddress.ip_address(address))


def test_a_public_https_host_passes_and_its_checked_address_is_pinned(dns):
    dns["cdn.example.com"] = "93.184.216.34"

    target = resolve_target("https://cdn.example.com/a/video.mp4?sig=1")

    assert (target.host, target.port, target.address, target.path) == (
        "cdn.example.com",
        443,
        "93.184.216.34",
        "/a/video.mp4?sig=1",
    )


def test_a_name_that_resolves_to_loopback_at_fetch_time_is_refused(dns):
    # Accepted when submitted (public), rebound to 127.0.0.1 before the worker connects.
    dns["rebind.example"] = "93.184.216.34"
    resolve_target("https://rebind.example/video.mp4")
    dns["rebind.example"] = "127.0.0.1"

    with pytest.raises(PermanentProviderError) as raised:
        RemoteAsset("https://rebind.example/video.mp4")

    assert raised.value.code == "invalid_asset_url"


def test_a_redirect_to_loopback_is_refused_at_fetch_time(asset):
    # The asset server itself is the allowed test host; its redirect goes elsewhere on loopback.
    redirect = f"http://{asset.server.host}/redirect?to=https://127.0.0.1:8443/asset"

    with pytest.raises(PermanentProviderError) as raised:
        RemoteAsset(redirect)

    assert raised.value.code == "invalid_asset_url"
    assert "non-public" in raised.value.message
    assert [path for path, _ in asset.server.requests] == ["/redirect"]


def test_the_fetch_connects_to_the_checked_address_with_the_name_as_host(asset, dns, settings):
    port = asset.server.host.split(":")[1]
    dns["assets.test"] = "127.0.0.1"
    settings.OUTBOUND_ALLOWED_HOSTS = [f"assets.test:{port}"]

    stream = RemoteAsset(f"http://assets.test:{port}/asset")

    assert stream.size == asset.size
    assert stream.read(10) == asset.path.read_bytes()[:10]
    stream.close()


def test_the_test_allowance_is_empty_by_default():
    from django.conf import settings as django_settings

    assert django_settings.OUTBOUND_ALLOWED_HOSTS == []
    with pytest.raises(UnsafeAssetUrl):
        resolve_target("http://127.0.0.1:8000/asset")
