"""Lists kept per process and served again while their owner's rows are unchanged.

A list a user reads often and changes rarely (their jobs, their channels) is rendered once per
web process and sent again while the owner's version (:mod:`core.owner_versions`) is the one
it was built under, for at most ``LIST_CACHE_TTL`` and never past the moment the builder says
its content changes with time alone. The request still passes authentication, permissions and
the rate limit; a kept answer only saves the query, the serializers and the rendering. Keys
hold the owner, the accepted media type and the absolute URL (the page links in the body
carry the scheme and host). Only 200 answers are kept, within ``LIST_CACHE_MAX_BYTES`` per
process (least recently used go first).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from cachetools import TLRUCache
from django.conf import settings
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.owner_versions import Version, version_call, version_of, version_read
from core.throttles import Along

Built = tuple[Response, datetime | None]
"""A builder's answer and when its content changes with time alone (``None``: never)."""


class _Kept(NamedTuple):
    version: Version
    content: bytes
    content_type: str
    expires: float  # on time.monotonic


def _expiry(key: object, kept: _Kept, now: float) -> float:
    return kept.expires


_lock = threading.Lock()
_kept: TLRUCache[tuple, _Kept] = TLRUCache(
    maxsize=settings.LIST_CACHE_MAX_BYTES, ttu=_expiry, getsizeof=lambda kept: len(kept.content)
)


def _lifetime() -> float:
    """Seconds an answer is kept at most; 0: nothing is kept."""
    return settings.LIST_CACHE_TTL.total_seconds()


def kept_responses_clear() -> None:
    """Forget every kept answer of this process."""
    with _lock:
        _kept.clear()


class KeptListView(APIView):
    """An API view whose GET answer is kept per owner: ``get`` returns :meth:`kept`.

    The owner's version is read in the plan rate limit's Redis round trip
    (``reads_along_throttle``), so a kept answer costs no round trip of its own.

    What a kept view shows must come only from rows of :mod:`core.owned_models` models owned
    by the requesting user (their changes retire the answer) and from the clock (the builder
    says when its content changes with time alone). A field read from any other model would
    go stale for up to ``LIST_CACHE_TTL``.
    """

    _version: Version | None = None  # read along the rate limit's hit, when it went to Redis

    def reads_along_throttle(self, request: Request) -> list[Along]:
        if _lifetime() <= 0:
            return []
        return [Along(version_call(request.user.pk), self._version_received)]

    def _version_received(self, reply: list[bytes]) -> None:
        self._version = version_of(reply)

    def kept(self, request: Request, build: Callable[[], Built]) -> HttpResponseBase:
        """The answer ``build`` gives for the authenticated user, kept while it holds."""
        lifetime = _lifetime()
        if lifetime <= 0:
            return build()[0]
        version = self._version or version_read(request.user.pk)
        if version is None:
            return build()[0]
        key = (
            type(self).__qualname__,
            request.user.pk,
            request.accepted_media_type,
            request.build_absolute_uri(),
        )
        with _lock:
            kept = _kept.get(key)
        if kept is not None and kept.version == version:
            return HttpResponse(kept.content, content_type=kept.content_type)
        response, changes_at = build()
        if response.status_code != 200:
            return response
        self.finalize_response(request, response)
        response.render()
        until = lifetime
        if changes_at is not None:
            until = min(until, (changes_at - timezone.now()).total_seconds())
        expires = time.monotonic() + until
        kept = _Kept(version, response.content, response["Content-Type"], expires)
        if len(kept.content) <= _kept.maxsize:
            with _lock:
                _kept[key] = kept
        return response
