"""One JSON access-log line per HTTP request, carrying the request id like every other line.

Replaces daphne's plain-text access log (the servers run with ``-v 0``). The query string is
left out on purpose: it can hold tokens (``/ws/jobs?token=``, OAuth ``code`` and ``state``),
and credentials in paths are redacted (``core.log_filters.loggable_path``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

from core.log_filters import loggable_path

logger = logging.getLogger("gateway.access")

GetResponse = Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]]


class AccessLogMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        if iscoroutinefunction(self):
            return self._acall(request)
        started = time.perf_counter()
        response = self.get_response(request)
        _log(request, response, started)  # type: ignore[arg-type]
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = await self.get_response(request)  # type: ignore[misc]
        _log(request, response, started)
        return response


def _log(request: HttpRequest, response: HttpResponseBase, started: float) -> None:
    path = loggable_path(request.path)
    logger.info(
        "%s %s %s",
        request.method,
        path,
        response.status_code,
        extra={
            "method": request.method,
            "path": path,
            "status": response.status_code,
            "durationMs": round((time.perf_counter() - started) * 1000, 1),
        },
    )
