from __future__ import annotations

import pytest

from tests.support.processes import free_port


@pytest.fixture
def redis_unreachable(settings) -> str:
    """The cache is a real Redis client pointed at a closed loopback port."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {
                "socket_connect_timeout": settings.REDIS_CONNECT_TIMEOUT,
                "socket_timeout": settings.REDIS_SOCKET_TIMEOUT,
            },
        }
    }
    return url
