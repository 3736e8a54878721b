"""At most WEB_MAX_INFLIGHT requests inside Django per process; the rest wait, then 503."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time

from asgiref.sync import sync_to_async

from core.asgi_concurrency import InFlightLimit

EXEMPT = re.compile(r"^/(api/v1/upload/blob/|feeds/|health$)")


class SlowApp:
    """An ASGI app that answers 200 after ``delay`` seconds and records its concurrency."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.inside = 0
        self.most_inside = 0

    async def __call__(self, scope, receive, send) -> None:
        self.inside += 1
        self.most_inside = max(self.most_inside, self.inside)
        await asyncio.sleep(self.delay)
        self.inside -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


class ThreadRecordingApp:
    """An ASGI app whose synchronous part (as Django runs a view) records its thread."""

    def __init__(self) -> None:
        self.threads: list[int] = []

    async def __call__(self, scope, receive, send) -> None:
        self.threads.append(await sync_to_async(threading.get_ident)())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


class AbandoningApp:
    """Its synchronous work goes on after the request is answered, as a view does when its
    client went away (Django stops waiting for it; the thread cannot be stopped)."""

    async def __call__(self, scope, receive, send) -> None:
        work = asyncio.ensure_future(sync_to_async(time.sleep)(0.6))
        await asyncio.sleep(0.05)
        work.cancel()
        await asyncio.gather(work, return_exceptions=True)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


async def _request(app, path: str) -> tuple[int, dict[bytes, bytes], bytes]:
    messages: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        messages.append(message)

    await app({"type": "http", "method": "GET", "path": path, "headers": []}, receive, send)
    start, body = messages
    return start["status"], dict(start["headers"]), body["body"]


def _run(app, paths: list[str]) -> list[tuple[int, dict[bytes, bytes], bytes]]:
    async def main():
        return await asyncio.gather(*(_request(app, path) for path in paths))

    return asyncio.run(main())


def test_requests_past_the_limit_wait_their_turn_and_all_are_answered() -> None:
    inner = SlowApp(delay=0.05)
    app = InFlightLimit(inner, limit=2, queue_timeout=5, exempt=EXEMPT)

    answers = _run(app, ["/api/v1/jobs"] * 8)

    assert [status for status, _, _ in answers] == [200] * 8
    assert inner.most_inside == 2


def test_a_request_that_waits_past_the_queue_timeout_is_a_503_in_the_error_shape() -> None:
    inner = SlowApp(delay=0.5)
    app = InFlightLimit(inner, limit=1, queue_timeout=0.1, exempt=EXEMPT)

    first, second = _run(app, ["/api/v1/jobs", "/api/v1/channels"])

    assert first[0] == 200
    status, headers, body = second
    assert status == 503
    assert headers[b"retry-after"] == b"1"
    assert json.loads(body) == {
        "type": "server_error",
        "errors": [
            {
                "code": "service_unavailable",
                "detail": "The service is busy; retry in a moment.",
                "attr": None,
            }
        ],
    }


def test_health_and_long_transfers_never_wait_in_line() -> None:
    inner = SlowApp(delay=0.3)
    app = InFlightLimit(inner, limit=1, queue_timeout=0.1, exempt=EXEMPT)

    answers = _run(app, ["/api/v1/jobs", "/health", "/feeds/abc.xml", "/api/v1/upload/blob/t"])

    assert [status for status, _, _ in answers] == [200] * 4
    assert inner.most_inside == 4


def test_admitted_requests_run_their_synchronous_code_on_threads_kept_between_them() -> None:
    inner = ThreadRecordingApp()
    app = InFlightLimit(inner, limit=2, queue_timeout=5, exempt=EXEMPT)

    async def main() -> None:
        for _ in range(3):  # three rounds of four requests at once
            await asyncio.gather(*(_request(app, "/api/v1/jobs") for _ in range(4)))

    asyncio.run(main())

    assert len(inner.threads) == 12
    assert len(set(inner.threads)) == 2
    assert threading.get_ident() not in inner.threads


def test_a_turn_whose_thread_still_runs_an_abandoned_view_is_not_handed_on() -> None:
    app = InFlightLimit(AbandoningApp(), limit=1, queue_timeout=0.2, exempt=EXEMPT)

    async def main() -> tuple[tuple, tuple, float]:
        first = await _request(app, "/api/v1/jobs")
        began = time.monotonic()
        second = await _request(app, "/api/v1/jobs")
        return first, second, time.monotonic() - began

    first, second, waited = asyncio.run(main())

    assert first[0] == 200
    assert second[0] == 503  # its only thread was busy past the queue timeout
    assert waited < 0.5


def test_a_limit_for_some_paths_lets_the_others_through() -> None:
    inner = SlowApp(delay=0.3)
    app = InFlightLimit(inner, limit=1, queue_timeout=0.1, only=re.compile(r"^/health$"))

    answers = _run(app, ["/health", "/health", "/api/v1/jobs", "/api/v1/channels"])

    assert [status for status, _, _ in answers] == [200, 503, 200, 200]
