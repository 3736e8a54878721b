"""Fixtures of the upload pipeline: plans, a creator with a YouTube channel, and local fakes
of YouTube's upload endpoint and of an asset host (on 127.0.0.1, allowed by the test-only
``OUTBOUND_ALLOWED_HOSTS``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from billing.services import plans_seed
from tests.fakes.asset_server import AssetServer, write_random_file
from tests.fakes.youtube_upload import FakeYouTubeUpload
from tests.uploads.factories import ChannelFactory, UserFactory

CHUNK = 256 * 1024


@dataclass
class Asset:
    path: Path
    size: int
    sha256: str
    server: AssetServer

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture
def plans(db) -> None:
    plans_seed()


@pytest.fixture
def user(plans):
    return UserFactory()


@pytest.fixture
def channel(user):
    return ChannelFactory(user=user)


@pytest.fixture
def client_for(plans) -> callable:
    def make(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def auth_client(client_for, user) -> APIClient:
    return client_for(user)


@pytest.fixture
def fake_youtube(settings) -> Iterator[FakeYouTubeUpload]:
    with FakeYouTubeUpload() as fake:
        settings.YOUTUBE_API_URL = fake.url
        settings.GOOGLE_OAUTH_TOKEN_URL = f"{fake.url}/token"
        settings.YOUTUBE_CLIENT_ID = "fake-client-id"
        settings.YOUTUBE_CLIENT_SECRET = "fake-client-secret"
        settings.UPLOAD_CHUNK_SIZE = CHUNK
        settings.UPLOAD_RETRY_BASE_DELAY = 0.05
        yield fake


def _asset(tmp_path: Path, settings, size: int) -> Iterator[Asset]:
    path = tmp_path / "asset.mp4"
    sha = write_random_file(path, size)
    with AssetServer(path) as server:
        settings.OUTBOUND_ALLOWED_HOSTS = [server.host]
        yield Asset(path=path, size=size, sha256=sha, server=server)


@pytest.fixture
def asset(tmp_path, settings) -> Iterator[Asset]:
    """A 1.1 MiB asset (five chunks, the last one short)."""
    yield from _asset(tmp_path, settings, 4 * CHUNK + 100_000)


@pytest.fixture
def big_asset(tmp_path, settings) -> Iterator[Asset]:
    """The 50 MB asset of the issue, generated per test (never committed)."""
    yield from _asset(tmp_path, settings, 50 * 1000 * 1000)


@pytest.fixture
def events(monkeypatch) -> list[tuple[str, int]]:
    """Every published job event, as (status, progress)."""
    seen: list[tuple[str, int]] = []
    monkeypatch.setattr(
        "uploads.services.publish_job_event", lambda job: seen.append((job.status, job.progress))
    )
    return seen
