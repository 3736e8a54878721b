"""Fixtures for the realtime feed: tokens, channel layers, sockets."""

from __future__ import annotations

import contextlib
import io
import threading
import uuid
from datetime import timedelta
from typing import Any

import jwt
import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from gateway.asgi import application
from providers.base import Provider, PublishResult
from providers.errors import PermanentProviderError
from providers.platforms import Platform


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def channel_layer_backend(request: pytest.FixtureRequest, settings: Any) -> str:
    """Run the test on the embedded in-memory layer, and on Redis when it is available."""
    if request.param == "memory":
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    else:
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                # A fresh prefix: nothing left over from another test can reach this one.
                "CONFIG": {"hosts": [settings.REDIS_URL], "prefix": f"test-{uuid.uuid4().hex}"},
            }
        }
    return request.param


def access_token(
    user: Any, *, lifetime: timedelta = timedelta(minutes=5), key: str | None = None, **claims: Any
) -> str:
    """An access JWT with the claims /auth/login issues; ``claims`` override (None removes one)."""
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=lifetime)
    payload = {
        **token.payload,
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
        **claims,
    }
    payload = {name: value for name, value in payload.items() if value is not None}
    return jwt.encode(payload, key or settings.JWT_SECRET, algorithm="HS256")


PROGRESS_STEPS = (25, 50, 75)
RESULT = PublishResult(provider_id="vid-123", url="https://youtu.be/vid-123")
REFUSAL = PermanentProviderError("The platform refused the upload.", code="provider_rejected")


class InstantProvider(Provider):
    """A platform that publishes at once: progress 25, 50, 75 %, then success or a refusal."""

    platform = Platform.YOUTUBE
    connect = "oauth"
    uploads = True
    fail = False

    def publish(self, request: Any, *, on_progress: Any, on_session: Any) -> PublishResult:
        for percent in PROGRESS_STEPS:
            on_progress(percent)
        if self.fail:
            raise REFUSAL
        return RESULT


@pytest.fixture
def instant_provider(monkeypatch: pytest.MonkeyPatch) -> InstantProvider:
    """The upload pipeline's provider seam answers with :class:`InstantProvider` (any thread),
    and the job's asset is a few local bytes."""
    provider = InstantProvider()
    monkeypatch.setattr("uploads.services.pipeline.channel_provider", lambda channel: provider)
    monkeypatch.setattr(
        "uploads.services.pipeline.asset_stream_open",
        lambda url: contextlib.nullcontext(io.BytesIO(b"episode")),
    )
    return provider


def running_update(job: Any, progress: int) -> dict:
    """The ``job:update`` of ``job`` running at ``progress``."""
    return {
        "type": "job:update",
        "jobId": str(job.id),
        "status": "RUNNING",
        "progress": progress,
        "waitingFor": None,
    }


def events_of_a_run(job: Any, *, failed: bool = False) -> list[dict]:
    """What the owner's sockets receive while the pipeline runs ``job`` on InstantProvider:
    it starts (RUNNING at 0), moves, then ends."""
    updates = [running_update(job, percent) for percent in (0, *PROGRESS_STEPS)]
    if failed:
        error = {"code": REFUSAL.code, "message": REFUSAL.message}
        return [
            *updates,
            {"type": "job:failed", "jobId": str(job.id), "status": "FAILED", "error": error},
        ]
    result = {"providerId": RESULT.provider_id, "url": RESULT.url}
    return [
        *updates,
        {
            "type": "job:done",
            "jobId": str(job.id),
            "status": "SUCCEEDED",
            "progress": 100,
            "result": result,
        },
    ]


# --- sockets and threads (tests with sockets commit for real: consumers close the connection of
# a test-wrapping transaction) -----------------------------------------------------------------
def in_thread(target: Any) -> threading.Thread:
    """Run ``target`` in a new thread, as a worker or a request does, with its own connection."""

    def body() -> None:
        try:
            target()
        finally:
            connection.close()

    thread = threading.Thread(target=body)
    thread.start()
    return thread


async def open_socket(user: Any) -> WebsocketCommunicator:
    ws = WebsocketCommunicator(application, f"/ws/jobs?token={access_token(user)}")
    assert await ws.connect() == (True, None)
    assert (await ws.receive_json_from())["type"] == "auth:ok"
    return ws
