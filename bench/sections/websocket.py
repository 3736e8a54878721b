"""WebSocket: ``CLIENTS`` authenticated ``/ws/jobs`` sockets (one user each) on the production
web server, and a publisher process calling ``uploads.events.publish_job_event`` for one job
per user, round after round, at ``RATE`` events a second, through Redis.

Each event carries its own send time: the publisher makes the job's id from the clock
(nanoseconds in its upper 64 bits), so a client reads the latency off the ``jobId`` it
receives. Figures: events per second delivered, p50/p99 delivery latency (target p99 under
100 ms), and the web workers' resident memory with every client connected.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import statistics
import time
import uuid
from typing import Any

from rest_framework_simplejwt.tokens import AccessToken

from bench.measure import Row, Target, memory_kib
from bench.setup import Context, users_create
from bench.ws_publisher import publish, sent_ns

SECTION = "websocket"
RATE = 500
MB = 1_000_000
CONNECTING_AT_ONCE = 50  # below the server's listen backlog


async def _measure(ctx: Context, users: dict[str, str], rounds: int) -> dict[str, Any]:
    """``users``: user id -> access token."""
    from websockets.asyncio.client import connect

    url = ctx.url("/ws/jobs?token=").replace("http://", "ws://")
    web = ctx.stack.web_workers()
    idle = sum(memory_kib(pid) for pid in web) * 1024 / MB
    gate = asyncio.Semaphore(CONNECTING_AT_ONCE)

    async def open_socket(token: str) -> Any:
        async with gate:
            ws = await connect(url + token, open_timeout=60)
            assert json.loads(await ws.recv())["type"] == "auth:ok"
            return ws

    started = time.monotonic()
    sockets = await asyncio.gather(*(open_socket(token) for token in users.values()))
    connect_seconds = time.monotonic() - started
    connected = sum(memory_kib(pid) for pid in web) * 1024 / MB
    arrivals: list[tuple[int, int]] = []  # (sent, received) in ns

    async def listen(ws: Any) -> None:
        async for frame in ws:
            arrivals.append((sent_ns(json.loads(frame)["jobId"]), time.time_ns()))

    listeners = [asyncio.create_task(listen(ws)) for ws in sockets]
    publisher = multiprocessing.get_context("spawn").Process(
        target=publish, args=(list(users), rounds, RATE)
    )
    publisher.start()
    await asyncio.to_thread(publisher.join)
    expected = len(users) * rounds
    deadline = time.monotonic() + 10
    while len(arrivals) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    for ws in sockets:
        await ws.close()
    await asyncio.gather(*listeners, return_exceptions=True)
    latencies = sorted((received - sent) / 1e6 for sent, received in arrivals)
    if len(latencies) < 2:
        raise RuntimeError(f"{len(latencies)} of {expected} events delivered")
    quantiles = statistics.quantiles(latencies, n=100)
    span = (max(r for _, r in arrivals) - min(s for s, _ in arrivals)) / 1e9
    return {
        "connect_seconds": connect_seconds,
        "delivered": len(arrivals),
        "expected": expected,
        "per_second": len(arrivals) / span,
        "p50": quantiles[49],
        "p99": quantiles[98],
        "idle_mb": idle,
        "connected_mb": connected,
    }


def run(ctx: Context) -> list[Row]:
    clients = 100 if ctx.smoke else 1000
    rounds = 3 if ctx.smoke else 6
    users = {
        str(user.pk): str(AccessToken.for_user(user))
        for user in users_create(clients, f"ws-{uuid.uuid4().hex[:8]}")
    }
    result = asyncio.run(asyncio.wait_for(_measure(ctx, users, rounds), timeout=300))
    events = f"{result['delivered']} of {result['expected']} events"
    return [
        Row(SECTION, f"{clients} clients: {events} delivered, published at {RATE}/s",
            result["per_second"], "events/s"),
        Row(SECTION, f"{clients} clients: delivery p50", result["p50"], "ms"),
        Row(SECTION, f"{clients} clients: delivery p99", result["p99"], "ms", None,
            Target.below(100, "ms")),
        Row(SECTION, f"{clients} clients connected in {result['connect_seconds']:.1f} s: "
            f"web workers' memory (idle {result['idle_mb']:.0f} MB)", result["connected_mb"], "MB"),
    ]  # fmt: skip
