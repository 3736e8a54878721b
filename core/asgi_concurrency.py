"""At most a few HTTP requests inside Django at once per process; the rest wait in line.

Under ASGI every request that reaches Django's synchronous code gets a thread of its own. At
128 open connections that was 64 threads per process fighting over one GIL and over
``DB_POOL_MAX_SIZE`` database connections: each request took longer, and some waited past
``DB_POOL_TIMEOUT`` for a connection and were refused with 503. Waiting in the event loop
instead costs nothing, so this middleware admits ``WEB_MAX_INFLIGHT`` requests (the pool's
size by default) and queues the others in arrival order. A request that waited
``WEB_QUEUE_TIMEOUT`` seconds without a turn is refused at once with the same 503 as a full
database pool, so an overloaded process sheds load instead of piling it up.

Each turn is a thread kept for the life of the process: an admitted request's synchronous
code (Django's middleware and view) runs on its turn's thread. Left alone, asgiref starts a
thread for every request and a second one to join it, and Django builds that thread's
database wrapper anew; keeping the threads doubled the requests per second of a bare view
(README "Performance"). A turn goes back in line when its thread is idle, so a view still
running for a client that went away holds its turn until it ends.

Not counted: long transfers, which would hold a turn for as long as a client sends or reads
(the signed upload PUT, the podcast feeds and media), and ``/health``, which must answer
while the API is saturated: it has a few turns of its own (``gateway.asgi``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext

from core.asgi_limits import ASGIApp, EdgeRefusal, Receive, Scope, Send, refuse
from core.errors import DatabaseBusy

logger = logging.getLogger(__name__)


class InFlightLimit:
    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        queue_timeout: float,
        exempt: re.Pattern[str] | None = None,
        only: re.Pattern[str] | None = None,
    ) -> None:
        """Governs the HTTP requests whose path matches ``only`` (all by default) and not
        ``exempt``; the others pass straight through."""
        self.app = app
        self.limit = limit
        self.queue_timeout = queue_timeout
        self.exempt = exempt
        self.only = only
        self._threads: asyncio.Queue[ThreadPoolExecutor] | None = None  # made in the loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limit < 1 or not self._governs(scope["path"]):
            await self.app(scope, receive, send)
            return
        threads = self._request_threads()
        try:
            thread = await asyncio.wait_for(threads.get(), self.queue_timeout)
        except TimeoutError:
            logger.warning("request refused: no turn within WEB_QUEUE_TIMEOUT")
            await refuse(send, _busy())
            return
        try:
            async with ThreadSensitiveContext(executor=thread):
                await self.app(scope, receive, send)
        finally:
            self._release(thread, threads)

    def _governs(self, path: str) -> bool:
        if self.only is not None and not self.only.match(path):
            return False
        return self.exempt is None or not self.exempt.match(path)

    @staticmethod
    def _release(thread: ThreadPoolExecutor, threads: asyncio.Queue[ThreadPoolExecutor]) -> None:
        """Hand the turn on once its thread is idle: the view of a request whose client went
        away goes on running there after the response was abandoned."""
        loop = asyncio.get_running_loop()

        def hand_on(_: object) -> None:
            with contextlib.suppress(RuntimeError):  # the event loop closed: the worker stops
                loop.call_soon_threadsafe(threads.put_nowait, thread)

        thread.submit(lambda: None).add_done_callback(hand_on)

    def _request_threads(self) -> asyncio.Queue[ThreadPoolExecutor]:
        """One single-thread executor per turn: Django's synchronous code of a request runs
        on it (``ThreadSensitiveContext``), a thread kept for the next request. Otherwise
        asgiref starts and joins two threads per request, and each request builds its
        thread's database wrapper anew."""
        if self._threads is None:
            self._threads = asyncio.Queue()
            for n in range(self.limit):
                self._threads.put_nowait(
                    ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"request-{n}")
                )
        return self._threads


def _busy() -> EdgeRefusal:
    error = DatabaseBusy()
    return EdgeRefusal(
        status=error.status_code,
        code=error.code,
        detail=error.message,
        retry_after=error.retry_after,
    )
