"""Rate limits counted in the cache (Redis in production, shared by every process).

Counting uses the two-bucket sliding window: a counter per fixed window, and the estimate
``previous * (share of the previous window still inside the sliding window) + current``.
It needs one atomic ``INCR`` per hit (no read-modify-write race under concurrent requests,
unlike DRF's timestamp-list throttles) and has no burst at window edges. On Redis a hit is one
round trip: a Lua script counts, reads the previous bucket, decides and takes a refused hit
back (:data:`_HIT_SCRIPT`); other caches (the per-process fallback) use the cache API.
The estimate assumes the previous window's hits were spread evenly, so after a burst late in
a window the wait it announces can exceed one period (never two).

- :class:`WindowThrottle`: the base of DRF throttles counted this way (the per-plan default
  throttle of every API view is ``billing.throttles.PlanRateThrottle``).
- :class:`SignupRateThrottle`, :class:`ForgotPasswordRateThrottle`: per client address.
- :class:`LoginFailureGuard`: failed logins per account and per client address. Only failures
  count; a refused attempt never reaches the password check, so being over the limit tells
  nothing about the password.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from redis.commands.core import Script
from redis.exceptions import RedisError
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from core.cache_outage import cache_outage, local_counts
from core.redis_pool import cache_client
from core.redis_scripts import ScriptCall, scripts_run
from gateway.env import Rate

if TYPE_CHECKING:  # rest_framework.views imports this module while it loads
    from django.http import HttpRequest
    from rest_framework.request import Request
    from rest_framework.views import APIView

_KEY_PREFIX = "ratelimit"

OnCacheError = Literal["allow", "local"]

# KEYS: the current and the previous bucket. ARGV: the limit, the weight of the previous
# bucket (the share of the previous window still inside the sliding window), the bucket's
# lifetime. Returns {allowed (0/1), current count (before taking a refused hit back), previous}.
_HIT_SCRIPT = Script(
    None,  # type: ignore[arg-type]  # run with an explicit client; bytes need no encoder
    b"""
local current = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
local previous = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
if previous * tonumber(ARGV[2]) + current <= tonumber(ARGV[1]) then
    return {1, current, previous}
end
redis.call('DECR', KEYS[1])
return {0, current, previous}
""",
)


@dataclass(frozen=True)
class Along:
    """A script run in the same round trip as a rate-limit hit on Redis (a read the request
    needs anyway); ``receive`` gets its reply. Not run when the hit is counted elsewhere."""

    call: ScriptCall
    receive: Callable[[Any], None]


@dataclass(frozen=True)
class Hit:
    """The outcome of :meth:`SlidingWindow.hit`; ``key`` is the bucket that was counted in
    ``store`` (``None``: nothing was counted)."""

    allowed: bool
    wait: float
    key: str
    store: BaseCache | None = field(default=None, repr=False)


class SlidingWindow:
    """At most ``rate.limit`` hits per identity in any ``rate.period`` seconds.

    ``on_cache_error`` says what happens while the shared cache is unreachable (see
    :mod:`core.cache_outage`): ``"allow"`` lets hits through uncounted, ``"local"`` counts them
    in this process.
    """

    def __init__(self, scope: str, rate: Rate, *, on_cache_error: OnCacheError = "local"):
        self.scope = scope
        self.rate = rate
        self.on_cache_error = on_cache_error

    def hit(self, ident: str, *, now: float | None = None, along: Sequence[Along] = ()) -> Hit:
        """Count one hit, or refuse it (uncounted) with the seconds to wait."""
        now = time.time() if now is None else now
        if not cache_outage.skip_cache():
            try:
                hit = self._count(caches["default"], ident, now, along)
            except RedisError as exc:
                cache_outage.failed(exc)
            else:
                cache_outage.answered()
                return hit
        cache_outage.fell_back(self.scope, self.on_cache_error)
        if self.on_cache_error == "allow":
            return Hit(allowed=True, wait=0, key="")
        return self._count(local_counts, ident, now)

    def _count(self, store: BaseCache, ident: str, now: float, along: Sequence[Along] = ()) -> Hit:
        period, limit = self.rate.period, self.rate.limit
        window, offset = divmod(now, period)
        key, previous_key = self._key(ident, int(window)), self._key(ident, int(window) - 1)
        weight = 1 - offset / period
        # The bucket outlives its window by one period: it is the next window's "previous".
        lifetime = 2 * period + 1
        if isinstance(store, RedisCache):
            keys = [store.make_and_validate_key(k) for k in (key, previous_key)]
            # Django's client would build a new ``Redis`` around its pool on every call.
            hit = ScriptCall(_HIT_SCRIPT, keys, [limit, repr(weight), lifetime])
            (allowed, current, previous), *replies = scripts_run(
                cache_client(store), [hit, *(extra.call for extra in along)]
            )
            for extra, reply in zip(along, replies, strict=True):
                extra.receive(reply)
        else:
            store.add(key, 0, timeout=lifetime)
            current = store.incr(key)
            previous = store.get(previous_key, 0)
            allowed = previous * weight + current <= limit
            if not allowed:
                store.decr(key)  # refused hits are not counted
        if allowed:
            return Hit(allowed=True, wait=0, key=key, store=store)
        return Hit(allowed=False, wait=self._wait(previous, current - 1, offset), key=key)

    def undo(self, hit: Hit) -> None:
        """Take back a counted hit (e.g. a login attempt that turned out to succeed)."""
        if not hit.allowed or hit.store is None:
            return
        # ValueError: the bucket has expired meanwhile, nothing is left to take back.
        # RedisError: the cache went away; the bucket expires with its window.
        with contextlib.suppress(ValueError, RedisError):
            hit.store.decr(hit.key)

    def _wait(self, previous: int, current: int, offset: float) -> float:
        """Seconds until one more hit fits: the previous bucket's weight decays linearly."""
        period, limit = self.rate.period, self.rate.limit
        room = limit - current - 1
        if room >= 0 and previous > 0:
            # Within this window: previous * (1 - t / period) <= room.
            at = period * (1 - room / previous)
            if at < period:
                return max(1.0, math.ceil(at - offset))
        # In the next window the current bucket becomes the previous one.
        at_next = period * (1 - (limit - 1) / current) if current else 0
        return max(1.0, math.ceil(period - offset + max(at_next, 0)))

    def _key(self, ident: str, window: int) -> str:
        return f"{_KEY_PREFIX}:{self.scope}:{self.rate.limit}/{self.rate.period}:{ident}:{window}"


def client_ident(request: Request | HttpRequest) -> str:
    """The client's address for rate limits.

    ``REMOTE_ADDR``, or with ``TRUSTED_PROXY_COUNT`` = n the address the n-th proxy from us
    saw (X-Forwarded-For is otherwise client-controlled, so it is never trusted blindly).
    IPv6 clients are grouped by /64, the block one subscriber usually holds.
    """
    address = BaseThrottle().get_ident(request)  # type: ignore[arg-type]  # reads META only
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def identity_digest(value: str) -> str:
    """Cache keys carry no personal data (emails) in clear."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


class WindowThrottle(BaseThrottle):
    """A DRF throttle backed by :class:`SlidingWindow`."""

    scope: str
    on_cache_error: OnCacheError = "local"

    def __init__(self) -> None:
        self._wait: float | None = None

    def limit_for(self, request: Request) -> tuple[Rate, str] | None:
        """The rate and identity to count, or ``None`` to let the request pass."""
        raise NotImplementedError

    def allow_request(self, request: Request, view: APIView) -> bool:
        """Count the request; a view with ``reads_along_throttle(request) -> [Along]`` has
        those reads made in the same round trip."""
        limit = self.limit_for(request)
        if limit is None:
            return True
        rate, ident = limit
        reads_along = getattr(view, "reads_along_throttle", None)
        along = reads_along(request) if reads_along is not None else ()
        window = SlidingWindow(self.scope, rate, on_cache_error=self.on_cache_error)
        hit = window.hit(ident, along=along)
        self._wait = hit.wait
        return hit.allowed

    def wait(self) -> float | None:
        return self._wait


class SignupRateThrottle(WindowThrottle):
    scope = "signup"

    def limit_for(self, request: Request) -> tuple[Rate, str] | None:
        return settings.SIGNUP_LIMIT_PER_IP, client_ident(request)


class ForgotPasswordRateThrottle(WindowThrottle):
    scope = "forgot-password"

    def limit_for(self, request: Request) -> tuple[Rate, str] | None:
        return settings.FORGOT_PASSWORD_LIMIT_PER_IP, client_ident(request)


class LoginFailureGuard:
    """Limit failed logins per account and per client address around a login attempt.

    Usage: ``with LoginFailureGuard(email=..., request=request, failure=InvalidCredentials):``.
    Entering counts the attempt against both limits, or raises :class:`Throttled` (nothing
    counted) when either is reached. Leaving with ``failure`` keeps the count; leaving in any
    other way (success, another error) takes it back. Counting before the check keeps
    concurrent guesses from all slipping past the limit.
    """

    def __init__(self, *, email: str, request: Request | HttpRequest, failure: type[BaseException]):
        self.failure = failure
        self._checks = [
            (
                SlidingWindow("login-account", settings.LOGIN_LIMIT_PER_ACCOUNT),
                identity_digest(email),
            ),
            (SlidingWindow("login-ip", settings.LOGIN_LIMIT_PER_IP), client_ident(request)),
        ]
        self._hits: list[tuple[SlidingWindow, Hit]] = []

    def __enter__(self) -> LoginFailureGuard:
        self._hits = [(window, window.hit(ident)) for window, ident in self._checks]
        refused = [hit.wait for _, hit in self._hits if not hit.allowed]
        if refused:
            self._undo()
            raise Throttled(wait=max(refused))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None or not issubclass(exc_type, self.failure):
            self._undo()

    def _undo(self) -> None:
        for window, hit in self._hits:
            window.undo(hit)
