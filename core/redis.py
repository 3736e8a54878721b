"""The one Redis client of this process, for health checks and queue depth."""

from __future__ import annotations

from functools import cache

import redis
from django.conf import settings


@cache
def get_redis() -> redis.Redis | None:
    """A pooled client for ``REDIS_URL``, or ``None`` in embedded mode."""
    if not settings.REDIS_URL:
        return None
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
