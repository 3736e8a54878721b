"""The one Redis client of this process, for health checks and queue depth."""

from __future__ import annotations

from functools import cache

import redis
from django.conf import settings


@cache
def get_redis() -> redis.Redis | None:
    """A pooled client for ``REDIS_URL``, or ``None`` in embedded mode.

    Its timeouts (``REDIS_CONNECT_TIMEOUT``, ``REDIS_SOCKET_TIMEOUT``) keep ``/health`` quick
    when Redis is unreachable.
    """
    if not settings.REDIS_URL:
        return None
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
        socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
    )
