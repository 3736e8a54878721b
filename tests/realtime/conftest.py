"""Fixtures for the realtime feed: tokens, channel layers, sockets."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

import jwt
import pytest
from django.conf import settings

from tests.realtime.factories import UserFactory


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
    """An access JWT as /auth/login issues it; ``claims`` override (None removes a claim)."""
    now = int(time.time())
    payload = {
        "token_type": "access",
        "exp": now + int(lifetime.total_seconds()),
        "iat": now,
        "jti": uuid.uuid4().hex,
        "sub": str(user.pk),
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
        **claims,
    }
    payload = {name: value for name, value in payload.items() if value is not None}
    return jwt.encode(payload, key or settings.JWT_SECRET, algorithm="HS256")


@pytest.fixture
def user() -> Any:
    return UserFactory()


@pytest.fixture
def other_user() -> Any:
    return UserFactory()
