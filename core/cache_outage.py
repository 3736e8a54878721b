"""What rate limits do while the shared cache (Redis) is unreachable.

A Redis outage must not turn every request into a 500 or make it wait for a dead server. When a
counting call fails, :data:`cache_outage` remembers it for :data:`PROBE_INTERVAL` seconds: in
that time rate limits do not touch Redis at all (so a request never waits on a timeout twice in
a row), then the next request probes it again. Meanwhile each limit does what its owner chose:

- ``"allow"``: let the request through (the per-plan request rate: an outage should not lock
  paying users out, and no secret is at stake);
- ``"local"``: count in this process (:data:`local_counts`, an in-memory cache). Login, signup
  and password-reset limits keep protecting accounts, per process instead of per deployment.

Logging is bounded: one warning when an outage starts, one per limit scope that falls back
during it, one line when the cache answers again; no stack traces.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.locmem import LocMemCache

logger = logging.getLogger(__name__)

PROBE_INTERVAL = 5.0
"""Seconds after a failure during which the shared cache is not tried again."""

local_counts = LocMemCache("ratelimit-fallback", {"MAX_ENTRIES": 100_000})
"""This process's counters while the shared cache is down."""


class CacheOutage:
    """Thread-safe record of whether the shared cache is down, with bounded logging."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._retry_at: float | None = None
        self._scopes: set[str] = set()

    def skip_cache(self) -> bool:
        """True while a recent failure says the cache is down (no new probe yet)."""
        retry_at = self._retry_at
        return retry_at is not None and time.monotonic() < retry_at

    def failed(self, exc: BaseException) -> None:
        """The cache failed a call: stop trying it for :data:`PROBE_INTERVAL` seconds."""
        with self._lock:
            starting = self._retry_at is None
            self._retry_at = time.monotonic() + PROBE_INTERVAL
        if starting:
            logger.warning("rate limits: shared cache unavailable (%s)", type(exc).__name__)

    def fell_back(self, scope: str, mode: str) -> None:
        """Log, once per outage, that the limits of ``scope`` run in ``mode``."""
        with self._lock:
            if scope in self._scopes:
                return
            self._scopes.add(scope)
        logger.warning("rate limit %s: shared cache unavailable, fallback %r", scope, mode)

    def answered(self) -> None:
        """The cache answered: the outage, if there was one, is over."""
        if self._retry_at is None:
            return
        with self._lock:
            if self._retry_at is None:
                return
            self._retry_at = None
            self._scopes.clear()
        logger.warning("rate limits: shared cache available again")


cache_outage = CacheOutage()
