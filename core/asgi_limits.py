"""Request body limits at the edge of the application (ASGI middleware).

A request is refused before Django buffers its body (Django reads the whole body into a
temporary file before any view runs): with 413 when its ``Content-Length`` or the bytes
streamed so far exceed what its route accepts, or with the route's own refusal (e.g. 403 for a
bad upload token) before a byte of the body is read. The server (uvicorn) passes the body in
chunks as it arrives, so at most one chunk past the limit is ever read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import error_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]


class EdgeRefusal(Exception):
    """Raised by a route's limit function to answer without reading the body."""

    def __init__(self, *, status: int, code: str, detail: str, retry_after: int | None = None):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.retry_after = retry_after


@dataclass(frozen=True)
class BodyRoute:
    """Requests of ``method`` on a path matching ``pattern`` accept ``limit(match)`` bytes."""

    method: str
    pattern: re.Pattern[str]
    limit: Callable[[re.Match[str]], int]


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, default_limit: int, routes: Sequence[BodyRoute] = ()):
        self.app = app
        self.default_limit = default_limit
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            limit = self._limit_for(scope)
        except EdgeRefusal as refusal:
            await refuse(send, refusal)
            return
        announced = _content_length(scope)
        if announced is not None and announced > limit:
            await refuse(send, _too_large(limit))
            return
        await self.app(scope, *_guarded_channels(receive, send, limit))

    def _limit_for(self, scope: Scope) -> int:
        for route in self.routes:
            if scope["method"] == route.method and (match := route.pattern.match(scope["path"])):
                return route.limit(match)
        return self.default_limit


def _guarded_channels(receive: Receive, send: Send, limit: int) -> tuple[Receive, Send]:
    """``receive`` that counts body bytes and answers 413 past ``limit`` (the application then
    sees the client as gone), and ``send`` that drops what the application says afterwards."""
    received = 0
    response_started = False
    refused = False

    async def limited_receive() -> Message:
        nonlocal received, refused
        if refused:
            return {"type": "http.disconnect"}
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit and not response_started:
                refused = True
                await refuse(send, _too_large(limit))
                return {"type": "http.disconnect"}
        return message

    async def guarded_send(message: Message) -> None:
        nonlocal response_started
        if refused:
            return
        if message["type"] == "http.response.start":
            response_started = True
        await send(message)

    return limited_receive, guarded_send


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None


def _too_large(limit: int) -> EdgeRefusal:
    return EdgeRefusal(
        status=413,
        code="request_too_large",
        detail=f"The request body is larger than this endpoint accepts ({limit} bytes).",
    )


async def refuse(send: Send, refusal: EdgeRefusal) -> None:
    """Answer in the API's error shape and close the connection (the rest of the body is
    never read)."""
    body = json.dumps(
        error_body(code=refusal.code, detail=refusal.detail, status_code=refusal.status)
    ).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    if refusal.retry_after is not None:
        headers.append((b"retry-after", str(refusal.retry_after).encode()))
    await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
