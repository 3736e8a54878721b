"""GET /health as docs/api.md describes it: 200 when healthy, 503 naming the failing part."""

import httpx
import pytest

from core.redis import get_redis
from tests.support.processes import asgi_server

pytestmark = pytest.mark.django_db


def test_health_is_ok_on_the_configured_services(api_client, settings):
    response = api_client.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["db"] == "connected"
    assert body["redis"] == ("connected" if settings.REDIS_URL else "not_configured")
    assert body["websocket"] == "active"
    assert isinstance(body["queueDepth"], int)
    assert "failing" not in body


@pytest.mark.redis
def test_health_reports_the_depth_of_the_task_queue(api_client, settings):
    settings.CELERY_TASK_DEFAULT_QUEUE = "test-health-queue"
    client = get_redis()
    client.delete("test-health-queue")
    client.rpush("test-health-queue", "a", "b", "c")
    try:
        response = api_client.get("/health")
    finally:
        client.delete("test-health-queue")

    assert response.status_code == 200
    assert response.json()["queueDepth"] == 3


def test_health_is_degraded_when_configured_redis_is_down(api_client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    get_redis.cache_clear()

    response = api_client.get("/health")

    assert response.status_code == 503
    assert response.json() == {
        "status": "degraded",
        "db": "connected",
        "redis": "unavailable",
        "queueDepth": 0,
        "websocket": "active",
        "failing": ["redis"],
    }


def test_health_is_degraded_when_the_database_is_unreachable():
    with asgi_server(DATABASE_URL="postgres://postgres@127.0.0.1:1/unreachable") as base_url:
        response = httpx.get(f"{base_url}/health", timeout=20)

    assert response.status_code == 503
    assert response.json() == {
        "status": "degraded",
        "db": "unavailable",
        "redis": "not_configured",
        "queueDepth": 0,
        "websocket": "active",
        "failing": ["db"],
    }


def test_the_asgi_server_starts_on_embedded_defaults_and_answers_health():
    with asgi_server(DATABASE_URL="sqlite:///var/embedded-health.sqlite3") as base_url:
        response = httpx.get(f"{base_url}/health", timeout=20)

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.headers["X-Request-ID"]
