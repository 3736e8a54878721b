"""/health names every failing part and answers within a second when Redis does not."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from core.redis import get_redis
from tests.support.processes import asgi_server, free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """A port that accepts TCP connections and never answers: a hung Redis."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"


@pytest.mark.parametrize("how", ["refused", "silent"])
def test_health_names_redis_within_a_second(api_client, settings, silent_redis, how):
    refused = f"redis://127.0.0.1:{free_port()}/0"
    settings.REDIS_URL = refused if how == "refused" else silent_redis
    get_redis.cache_clear()

    started = time.monotonic()
    response = api_client.get("/health")
    took = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["failing"] == ["redis"]
    assert took < 1.0


def test_health_names_both_parts_when_both_are_down():
    with asgi_server(
        DATABASE_URL="postgres://postgres@127.0.0.1:1/unreachable",
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
    ) as base_url:
        response = httpx.get(f"{base_url}/health", timeout=20)

    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["db"], body["redis"]) == ("degraded", "unavailable", "unavailable")
    assert body["failing"] == ["db", "redis"]
