"""One Redis connection pool per process for Django's cache.

Django keeps a cache client per thread, and under ASGI every request runs in a thread of
its own: with redis-py's default pool class each request built a new pool and opened a new
TCP connection (plus redis-py's ``CLIENT SETINFO`` handshake) for the throttle's counters.
The profile of ``GET /api/v1/jobs`` showed that as the largest cost. redis-py pools are
thread-safe and reset themselves in a forked child, so every thread can share one.
"""

from __future__ import annotations

import threading
from typing import Any

import redis
from django.core.cache.backends.redis import RedisCache

_lock = threading.Lock()
_pools: dict[tuple[str, tuple[tuple[str, Any], ...]], redis.ConnectionPool] = {}


class SharedConnectionPool(redis.ConnectionPool):
    """``CACHES[...]["OPTIONS"]["pool_class"]``: ``from_url`` hands out one pool per URL."""

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> redis.ConnectionPool:  # type: ignore[override]
        key = (url, tuple(sorted(kwargs.items())))
        with _lock:
            if key not in _pools:
                _pools[key] = redis.ConnectionPool.from_url(url, **kwargs)
            return _pools[key]


_clients: dict[redis.ConnectionPool, redis.Redis] = {}


def shared_client(pool: redis.ConnectionPool) -> redis.Redis:
    """One client per pool: Django's ``get_client`` builds a new ``Redis`` object on every
    call (a tenth of a millisecond each), which the throttle paid on every request."""
    client = _clients.get(pool)
    if client is None:
        with _lock:
            client = _clients.setdefault(pool, redis.Redis(connection_pool=pool))
    return client


def cache_client(cache: RedisCache) -> redis.Redis:
    """The shared client of a Django Redis cache's (write) pool."""
    return shared_client(cache._cache._get_connection_pool(write=True))  # type: ignore[attr-defined]
