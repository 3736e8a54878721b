"""``/ws/jobs``: each authenticated socket receives the job events of its own user (docs/api.md).

Protocol (README, "Realtime job feed"):

- Authenticate with ``?token=<access JWT>`` or, to keep the token out of URLs, connect without
  it and send ``{"type": "auth", "token": ...}`` within ``WS_AUTH_TIMEOUT``. Until then the
  socket is open but subscribed to nothing. A refused token closes the socket with 4401.
- Once subscribed the server sends ``{"type": "auth:ok", "expiresAt": ...}``, then the events.
  Sending a fresh token the same way moves the expiry; the socket closes with 4401 when its
  token expires.
- ``{"type": "ping"}`` is answered with ``{"type": "pong"}``; a socket that sends nothing for
  ``WS_IDLE_TIMEOUT`` is closed with 4408. A frame that is not a JSON object closes with 4400.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from accounts.ws_auth import SocketAuthError, SocketIdentity, authenticate_socket_token
from uploads.events import job_group, remember_socket_loop

logger = logging.getLogger(__name__)

CLOSE_INVALID_MESSAGE = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_IDLE = 4408


class JobFeedConsumer(AsyncJsonWebsocketConsumer):
    """One socket of ``/ws/jobs`` (protocol in the module docstring)."""

    async def connect(self) -> None:
        self._user_id: str | None = None
        self._closed = False
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._closing: set[asyncio.Task] = set()
        remember_socket_loop(asyncio.get_running_loop())

        token = _query_token(self.scope)
        # Subscribe before accepting, so an open socket never misses an event.
        identity = await _identify(token) if token is not None else None
        if identity is not None:
            await self._subscribe(identity)
        await self.accept()
        if token is None:
            self._close_after("auth", settings.WS_AUTH_TIMEOUT.total_seconds(), CLOSE_UNAUTHORIZED)
        elif identity is None:
            await self._close(CLOSE_UNAUTHORIZED)
            return
        else:
            await self._confirm(identity)
        self._touch()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self._closed:
            return
        try:
            content = json.loads(text_data) if text_data is not None else None
        except ValueError:
            content = None
        if not isinstance(content, dict):
            await self._close(CLOSE_INVALID_MESSAGE if self._user_id else CLOSE_UNAUTHORIZED)
            return
        await self.receive_json(content)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        self._touch()
        kind = content.get("type")
        if kind == "auth":
            await self._authenticate(content.get("token"))
        elif self._user_id is None:
            await self._close(CLOSE_UNAUTHORIZED)
        elif kind == "ping":
            await self.send_json({"type": "pong"})
        # Other types are ignored, so older servers tolerate newer clients.

    async def job_event(self, message: dict[str, Any]) -> None:
        """A job event from the channel layer (``uploads.events``): forward it as is."""
        if not self._closed:
            await self.send_json(message["event"])

    async def disconnect(self, code: int) -> None:
        # Channels leaves the groups in ``self.groups`` after this returns.
        self._closed = True
        self._cancel_timers()

    async def _authenticate(self, token: Any) -> None:
        identity = await _identify(token)
        # A socket belongs to one user for its whole life.
        if identity is None or self._user_id not in (None, identity.user_id):
            await self._close(CLOSE_UNAUTHORIZED)
            return
        await self._subscribe(identity)
        await self._confirm(identity)

    async def _subscribe(self, identity: SocketIdentity) -> None:
        if self._user_id is None:
            group = job_group(identity.user_id)
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups.append(group)
            self._user_id = identity.user_id
        self._cancel_timer("auth")
        remaining = (identity.expires_at - datetime.now(tz=UTC)).total_seconds()
        self._close_after("expiry", remaining, CLOSE_UNAUTHORIZED)

    async def _confirm(self, identity: SocketIdentity) -> None:
        expires_at = identity.expires_at.isoformat().replace("+00:00", "Z")
        await self.send_json({"type": "auth:ok", "expiresAt": expires_at})

    def _touch(self) -> None:
        """Note activity from the client: the idle timeout starts again."""
        idle = settings.WS_IDLE_TIMEOUT.total_seconds()
        if idle > 0 and not self._closed:
            self._close_after("idle", idle, CLOSE_IDLE)

    def _close_after(self, name: str, seconds: float, code: int) -> None:
        self._cancel_timer(name)
        loop = asyncio.get_running_loop()
        self._timers[name] = loop.call_later(max(seconds, 0), self._close_soon, code)

    def _close_soon(self, code: int) -> None:
        task = asyncio.ensure_future(self._close(code))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _close(self, code: int) -> None:
        if self._closed:
            return
        self._closed = True
        self._cancel_timers()
        await self.close(code)

    def _cancel_timer(self, name: str) -> None:
        timer = self._timers.pop(name, None)
        if timer is not None:
            timer.cancel()

    def _cancel_timers(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()


def _query_token(scope: dict[str, Any]) -> str | None:
    """``?token=`` if present (an empty value counts, and is refused)."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    values = query.get("token")
    return values[0] if values else None


async def _identify(token: Any) -> SocketIdentity | None:
    if not isinstance(token, str) or not token:
        return None
    try:
        return await authenticate_socket_token(token)
    except SocketAuthError as exc:
        logger.info("websocket token refused: %s", exc)
        return None
