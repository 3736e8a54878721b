"""Real processes: daphne servers, real WebSocket clients, a Celery worker, Redis between them."""

from __future__ import annotations

import asyncio
import json
from contextlib import ExitStack
from datetime import timedelta
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from gateway.celery import app as celery_app
from tests.factories import JobFactory
from tests.realtime.conftest import access_token, events_of_a_run
from tests.realtime.servers import start_servers
from uploads.tasks import run_job_task

# The servers read the users this test commits, so the test database is really committed to.
pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


async def _client(server: str, token: str) -> ClientConnection:
    ws = await connect(f"{server}/ws/jobs?token={token}")
    assert json.loads(await ws.recv())["type"] == "auth:ok"
    return ws


async def _received(ws: ClientConnection, count: int) -> list[dict]:
    return [json.loads(await asyncio.wait_for(ws.recv(), timeout=10)) for _ in range(count)]


async def _nothing_arrives(ws: ClientConnection, seconds: float = 0.5) -> bool:
    try:
        await asyncio.wait_for(ws.recv(), timeout=seconds)
    except TimeoutError:
        return True
    return False


def test_a_workers_job_events_reach_its_owner_on_every_web_process_and_no_one_else(
    user, other_user, instant_provider
):
    job = JobFactory(channel__user=user)
    expected = events_of_a_run(job)

    async def scenario(first: str, second: str) -> None:
        owner_on_first = await _client(first, access_token(user))
        owner_on_second = await _client(second, access_token(user))
        strangers = [await _client(server, access_token(other_user)) for server in (first, second)]

        await asyncio.to_thread(run_job_task.delay, str(job.id))

        assert await _received(owner_on_first, len(expected)) == expected
        assert await _received(owner_on_second, len(expected)) == expected
        for ws in strangers:
            assert await _nothing_arrives(ws)
        for ws in (owner_on_first, owner_on_second, *strangers):
            await ws.close()

    with ExitStack() as stack:
        first, second = start_servers(stack, 2)
        stack.enter_context(
            start_worker(celery_app, perform_ping_check=False, pool="solo", loglevel="WARNING")
        )
        asyncio.run(scenario(first, second))


def test_a_real_server_closes_refused_sockets_with_4401_before_sending_anything(user):
    refused = {
        "malformed": "not-a-jwt",
        "expired": access_token(user, lifetime=timedelta(seconds=-5)),
        "wrong audience": access_token(user, aud="someone-else"),
        "wrong issuer": access_token(user, iss="someone-else"),
    }

    async def close_code(server: str, query: str, first_message: Any = None) -> int:
        async with connect(f"{server}/ws/jobs{query}") as ws:
            if first_message is not None:
                await ws.send(json.dumps(first_message))
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), timeout=5)
            return closed.value.rcvd.code

    async def scenario(server: str) -> dict[str, int]:
        codes = {
            kind: await close_code(server, f"?token={token}") for kind, token in refused.items()
        }
        codes["missing"] = await close_code(server, "")
        codes["bad auth message"] = await close_code(
            server, "", {"type": "auth", "token": refused["wrong audience"]}
        )
        return codes

    with ExitStack() as stack:
        (server,) = start_servers(stack, 1, WS_AUTH_TIMEOUT="1s")
        codes = asyncio.run(scenario(server))

    assert codes == dict.fromkeys([*refused, "missing", "bad auth message"], 4401)
