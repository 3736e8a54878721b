"""Embedded mode (SQLite) under 20 concurrent writers of each kind, against the server that
`make run` starts: no 500 ("database is locked"), and the plan limits stay exact."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier

import httpx
import pytest

from tests.serving.servers import Server, embedded_database_url, started
from tests.support.processes import run_python

WRITERS = 20
MIB = 1024 * 1024

# Users straight into the server's database (signup has a per-address limit), with tokens.
SETUP = """
import json, os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway.settings")
django.setup()
from accounts.models import User
from accounts.services import session_start
from billing.models import Plan
from channels_app.models import Channel, ChannelStatus
from core import crypto

free = Plan.objects.get(code="free")
out = {}
for kind in ("connect", "presign", "upload", "blob", "refresh"):
    user = User.objects.create_user(email=f"{kind}@example.com", plan=free)
    out[kind] = {"token": session_start(user=user).access}
youtube = Channel.objects.create(
    user=User.objects.get(email="upload@example.com"), platform="youtube",
    provider_channel_id="UC" + "1" * 22, display_name="Mine", status=ChannelStatus.ACTIVE,
)
youtube.refresh_token_encrypted = crypto.encrypt("grant", associated_data=str(youtube.id))
youtube.save()
out["upload"]["channel"] = str(youtube.id)
listing = Channel.objects.create(
    user=User.objects.get(email="refresh@example.com"), platform="spotify",
    provider_channel_id="4rOoJ6Egrf8K2IrywzwOMk", display_name="Show",
    status=ChannelStatus.ACTIVE,
)
out["refresh"]["channel"] = str(listing.id)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def embedded(tmp_path_factory) -> tuple[Server, dict]:
    workdir: Path = tmp_path_factory.mktemp("sqlite-concurrency")
    database_url = embedded_database_url(workdir)
    with started(
        "make run",
        workdir,
        ENV_FILE=str(workdir / ".env"),
        DATABASE_URL=database_url,
        # Jobs stay QUEUED: the quota is what is checked, no platform is called.
        UPLOAD_EMBEDDED_RUNNER="false",
    ) as server:
        setup = run_python(SETUP, DATABASE_URL=database_url)
        assert setup.returncode == 0, setup.stderr
        yield server, json.loads(setup.stdout)


def _concurrently(server: Server, token: str, requests: list[tuple[str, str, dict | None]]):
    """Send ``requests`` (method, path, JSON) at once from ``len(requests)`` threads."""
    start = Barrier(len(requests))

    def send(request: tuple[str, str, dict | None]) -> httpx.Response:
        method, path, body = request
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            start.wait(timeout=30)
            return client.request(
                method, path, json=body, headers={"Authorization": f"Bearer {token}"}
            )

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


def _statuses(responses: list[httpx.Response]) -> list[int]:
    return sorted(response.status_code for response in responses)


def test_concurrent_connects_stop_exactly_at_the_channel_limit(embedded):
    server, users = embedded
    token = users["connect"]["token"]
    ids = [f"{index:02d}" + "A" * 20 for index in range(WRITERS)]

    responses = _concurrently(
        server,
        token,
        [
            ("POST", "/api/v1/channels/connect", {"platform": "spotify", "providerChannelId": i})
            for i in ids
        ],
    )

    # the free plan allows 2 channels: exactly 2 created, the rest refused, none failed
    assert _statuses(responses) == [201] * 2 + [403] * (WRITERS - 2)
    listed = httpx.get(
        f"{server.base_url}/api/v1/channels", headers={"Authorization": f"Bearer {token}"}
    )
    assert len(listed.json()) == 2


def test_concurrent_presigns_stop_exactly_at_the_storage_limit(embedded):
    server, users = embedded
    body = {"filename": "a.mp4", "contentType": "video/mp4", "sizeBytes": 300 * MIB}

    responses = _concurrently(
        server, users["presign"]["token"], [("POST", "/api/v1/upload/presign", body)] * WRITERS
    )

    # 1 GiB of storage holds three 300 MiB files
    assert _statuses(responses) == [200] * 3 + [403] * (WRITERS - 3)


def test_concurrent_blob_puts_all_land(embedded):
    server, users = embedded
    token = users["blob"]["token"]
    body = {"filename": "a.mp3", "contentType": "audio/mpeg", "sizeBytes": 1024}
    urls = [
        r.json()["uploadUrl"]
        for r in _concurrently(server, token, [("POST", "/api/v1/upload/presign", body)] * WRITERS)
    ]
    start = Barrier(WRITERS)

    def put(url: str) -> int:
        with httpx.Client(timeout=60) as client:
            start.wait(timeout=30)
            path = url.split("://", 1)[1].split("/", 1)[1]
            return client.put(
                f"{server.base_url}/{path}",
                content=b"\1" * 1024,
                headers={"Content-Type": "audio/mpeg"},
            ).status_code

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        assert sorted(pool.map(put, urls)) == [200] * WRITERS


def test_concurrent_uploads_take_exactly_the_monthly_quota(embedded):
    server, users = embedded
    token = users["upload"]["token"]
    auth = {"Authorization": f"Bearer {token}"}
    presign = httpx.post(
        f"{server.base_url}/api/v1/upload/presign",
        json={"filename": "v.mp4", "contentType": "video/mp4", "sizeBytes": 16},
        headers=auth,
    ).json()
    path = presign["uploadUrl"].split("://", 1)[1].split("/", 1)[1]
    stored = httpx.put(
        f"{server.base_url}/{path}", content=b"\0" * 16, headers={"Content-Type": "video/mp4"}
    )
    assert stored.status_code == 200
    job = {"channelId": users["upload"]["channel"], "assetUrl": presign["assetUrl"], "title": "t"}

    responses = _concurrently(server, token, [("POST", "/api/v1/upload", job)] * WRITERS)

    # the free plan's quota is 2 uploads a month
    assert _statuses(responses) == [202] * 2 + [403] * (WRITERS - 2)
    listed = httpx.get(f"{server.base_url}/api/v1/jobs", headers=auth).json()
    assert listed["count"] == 2


def test_concurrent_refreshes_of_one_channel_all_succeed(embedded):
    server, users = embedded
    channel = users["refresh"]["channel"]

    responses = _concurrently(
        server,
        users["refresh"]["token"],
        [("POST", f"/api/v1/channels/{channel}/refresh", None)] * WRITERS,
    )

    assert _statuses(responses) == [200] * WRITERS
