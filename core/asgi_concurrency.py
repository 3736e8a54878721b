"""At most a few HTTP requests inside Django at once per process; the rest wait in line.

Under ASGI every request that reaches Django's synchronous code gets a thread of its own. At
128 open connections that was 64 threads per process fighting over one GIL and over
``DB_POOL_MAX_SIZE`` database connections: each request took longer, and some waited past
``DB_POOL_TIMEOUT`` for a connection and were refused with 503. Waiting in the event loop
instead costs nothing, so this middleware admits ``WEB_MAX_INFLIGHT`` requests (the pool's
size by default) and queues the others in arrival order. A request that waited
``WEB_QUEUE_TIMEOUT`` seconds without a turn is refused at once with the same 503 as a full
database pool, so an overloaded process sheds load instead of piling it up.

Not counted: long transfers, which would hold a turn for as long as a client sends or reads
(the signed upload PUT, the podcast feeds and media), and ``/health``, which must answer
while the API is saturated.
"""

from __future__ import annotations

import asyncio
import logging
import re

from core.asgi_limits import ASGIApp, EdgeRefusal, Receive, Scope, Send, refuse
from core.errors import DatabaseBusy

logger = logging.getLogger(__name__)


class InFlightLimit:
    def __init__(
        self, app: ASGIApp, *, limit: int, queue_timeout: float, exempt: re.Pattern[str]
    ) -> None:
        self.app = app
        self.limit = limit
        self.queue_timeout = queue_timeout
        self.exempt = exempt
        self._turns: asyncio.Semaphore | None = None  # made in the worker's own event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limit < 1 or self.exempt.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        if self._turns is None:
            self._turns = asyncio.Semaphore(self.limit)
        try:
            await asyncio.wait_for(self._turns.acquire(), self.queue_timeout)
        except TimeoutError:
            logger.warning("request refused: no turn within WEB_QUEUE_TIMEOUT")
            await refuse(send, _busy())
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._turns.release()


def _busy() -> EdgeRefusal:
    error = DatabaseBusy()
    return EdgeRefusal(
        status=error.status_code,
        code=error.code,
        detail=error.message,
        retry_after=error.retry_after,
    )
