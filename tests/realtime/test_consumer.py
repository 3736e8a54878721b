"""``/ws/jobs`` at the consumer level (the whole ASGI app, through Channels' test communicator).

Every test runs on the in-memory layer and, when Redis is available, on the Redis layer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from gateway.asgi import application
from tests.factories import JobFactory, UserFactory
from tests.realtime.conftest import access_token, running_update
from uploads.events import publish_job_event
from uploads.models import JobStatus

# Consumers look users up through database_sync_to_async, which closes the connection of a
# test-wrapping transaction: these tests commit for real.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("channel_layer_backend"),
]


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async_to_sync(scenario)()


def socket(token: str | None = None, *, headers: list | None = None) -> WebsocketCommunicator:
    path = "/ws/jobs" if token is None else f"/ws/jobs?token={token}"
    return WebsocketCommunicator(application, path, headers=headers)


async def publish(job: Any, **changes: Any) -> None:
    """The pipeline's call, from a synchronous thread, outside any transaction."""
    for name, value in changes.items():
        setattr(job, name, value)
    await sync_to_async(publish_job_event)(job)


async def open_authenticated(token: str) -> WebsocketCommunicator:
    ws = socket(token)
    assert await ws.connect() == (True, None)
    assert (await ws.receive_json_from())["type"] == "auth:ok"
    return ws


async def assert_closed(ws: WebsocketCommunicator, code: int, *, timeout: float = 1) -> None:
    """The next output is the close frame with ``code``."""
    assert await ws.receive_output(timeout) == {"type": "websocket.close", "code": code}


def update(job: Any, progress: int) -> dict:
    return running_update(job, progress)


def test_a_socket_with_a_query_token_receives_its_jobs_events_in_order(user):
    job = JobFactory(channel__user=user)
    token = str(AccessToken.for_user(user))  # exactly what /auth/login hands out

    async def scenario():
        ws = socket(token)
        assert await ws.connect() == (True, None)
        hello = await ws.receive_json_from()
        assert hello["type"] == "auth:ok"
        assert hello["expiresAt"].endswith("Z")

        await publish(job, status=JobStatus.RUNNING, progress=30)
        await publish(job, progress=60)
        await publish(
            job,
            status=JobStatus.SUCCEEDED,
            progress=100,
            result={"provider_id": "vid-1", "url": "https://youtu.be/vid-1"},
        )

        assert await ws.receive_json_from() == update(job, 30)
        assert await ws.receive_json_from() == update(job, 60)
        assert await ws.receive_json_from() == {
            "type": "job:done",
            "jobId": str(job.id),
            "status": "SUCCEEDED",
            "progress": 100,
            "result": {"providerId": "vid-1", "url": "https://youtu.be/vid-1"},
        }
        assert await ws.receive_nothing()
        await ws.disconnect()

    run(scenario)


def test_a_failed_job_is_reported_with_its_error(user):
    job = JobFactory(channel__user=user)

    async def scenario():
        ws = await open_authenticated(access_token(user))

        await publish(job, status=JobStatus.FAILED, error={"code": "x", "message": "No."})

        assert await ws.receive_json_from() == {
            "type": "job:failed",
            "jobId": str(job.id),
            "status": "FAILED",
            "error": {"code": "x", "message": "No."},
        }
        await ws.disconnect()

    run(scenario)


def test_each_user_receives_only_the_events_of_their_own_jobs(user, other_user):
    job_of_a = JobFactory(channel__user=user)

    async def scenario():
        a = await open_authenticated(access_token(user))
        b = await open_authenticated(access_token(other_user))

        await publish(job_of_a, status=JobStatus.RUNNING, progress=10)
        await publish(job_of_a, status=JobStatus.SUCCEEDED, progress=100, result=None)

        assert await a.receive_json_from() == update(job_of_a, 10)
        assert (await a.receive_json_from())["type"] == "job:done"
        assert await b.receive_nothing(timeout=0.3)
        await a.disconnect()
        await b.disconnect()

    run(scenario)


def test_two_sockets_of_one_user_both_receive_the_events(user):
    job = JobFactory(channel__user=user)

    async def scenario():
        first = await open_authenticated(access_token(user))
        second = await open_authenticated(access_token(user))

        await publish(job, status=JobStatus.RUNNING, progress=5)

        assert await first.receive_json_from() == update(job, 5)
        assert await second.receive_json_from() == update(job, 5)
        await first.disconnect()
        await second.disconnect()

    run(scenario)


def test_the_token_can_come_in_a_first_message_instead_of_the_url(user):
    job = JobFactory(channel__user=user)

    async def scenario():
        ws = socket()
        assert await ws.connect() == (True, None)
        # Open but subscribed to nothing until it authenticates.
        await publish(job, status=JobStatus.RUNNING, progress=10)
        assert await ws.receive_nothing(timeout=0.3)

        await ws.send_json_to({"type": "auth", "token": access_token(user)})
        assert (await ws.receive_json_from())["type"] == "auth:ok"
        await publish(job, progress=20)

        assert await ws.receive_json_from() == update(job, 20)
        await ws.disconnect()

    run(scenario)


REFUSED_TOKENS: dict[str, Callable[[Any], str]] = {
    "empty": lambda user: "",
    "malformed": lambda user: "not-a-jwt",
    "expired": lambda user: access_token(user, lifetime=timedelta(seconds=-5)),
    "wrong audience": lambda user: access_token(user, aud="someone-else"),
    "no audience": lambda user: access_token(user, aud=None),
    "wrong issuer": lambda user: access_token(user, iss="someone-else"),
    "wrong signature": lambda user: access_token(user, key="another-secret-that-is-long-enough!"),
    "refresh token": lambda user: str(RefreshToken.for_user(user)),
    "unknown user": lambda user: access_token(user, sub="5f1d1c3e-0000-4000-8000-000000000000"),
    "subject not a uuid": lambda user: access_token(user, sub="42"),
    "inactive user": lambda user: _deactivated(user),
}


def _deactivated(user: Any) -> str:
    token = access_token(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    return token


@pytest.mark.parametrize("kind", REFUSED_TOKENS)
def test_a_refused_query_token_closes_the_socket_with_4401_and_nothing_else(user, kind):
    token = REFUSED_TOKENS[kind](user)
    job = JobFactory(channel__user=user)

    async def scenario():
        ws = socket(token)
        assert await ws.connect() == (True, None)

        await assert_closed(ws, 4401)
        await publish(job, status=JobStatus.RUNNING, progress=50)
        assert await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()

    run(scenario)


@pytest.mark.parametrize("kind", ["malformed", "expired", "wrong audience", "inactive user"])
def test_a_refused_token_in_the_auth_message_closes_with_4401_and_nothing_else(user, kind):
    token = REFUSED_TOKENS[kind](user)
    job = JobFactory(channel__user=user)

    async def scenario():
        ws = socket()
        assert await ws.connect() == (True, None)

        await ws.send_json_to({"type": "auth", "token": token})

        await assert_closed(ws, 4401)
        await publish(job, status=JobStatus.RUNNING, progress=50)
        assert await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()

    run(scenario)


def test_a_token_issued_before_a_password_change_is_refused_like_on_the_rest_api():
    user = UserFactory()
    token = access_token(user)
    user.set_password("a-brand-new-Passw0rd!")
    user.save(update_fields=["password"])

    async def scenario():
        refused = socket(token)
        assert await refused.connect() == (True, None)
        await assert_closed(refused, 4401)
        await refused.disconnect()
        accepted = await open_authenticated(access_token(user))
        await accepted.disconnect()

    run(scenario)


def test_a_socket_that_never_authenticates_is_closed_with_4401(settings):
    settings.WS_AUTH_TIMEOUT = timedelta(seconds=0.3)

    async def scenario():
        ws = socket()
        assert await ws.connect() == (True, None)

        await assert_closed(ws, 4401, timeout=2)
        await ws.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    "message",
    [{"type": "ping"}, {"type": "subscribe"}, {"type": "auth"}, {"type": "auth", "token": 7}],
)
def test_an_unauthenticated_socket_may_only_authenticate(message):
    async def scenario():
        ws = socket()
        assert await ws.connect() == (True, None)

        await ws.send_json_to(message)

        await assert_closed(ws, 4401)
        await ws.disconnect()

    run(scenario)


def test_a_socket_is_closed_with_4401_when_its_token_expires(user):
    job = JobFactory(channel__user=user)

    async def scenario():
        ws = await open_authenticated(access_token(user, lifetime=timedelta(seconds=2)))

        await assert_closed(ws, 4401, timeout=3)
        await publish(job, status=JobStatus.RUNNING, progress=50)
        assert await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()

    run(scenario)


def test_a_fresh_token_sent_on_the_socket_moves_its_expiry(user):
    async def scenario():
        ws = await open_authenticated(access_token(user, lifetime=timedelta(seconds=2)))

        await ws.send_json_to({"type": "auth", "token": access_token(user)})
        assert (await ws.receive_json_from())["type"] == "auth:ok"

        assert await ws.receive_nothing(timeout=2.5)  # past the first token's expiry
        await ws.disconnect()

    run(scenario)


def test_a_socket_cannot_switch_to_another_users_token(user, other_user):
    job_of_b = JobFactory(channel__user=other_user)

    async def scenario():
        ws = await open_authenticated(access_token(user))

        await ws.send_json_to({"type": "auth", "token": access_token(other_user)})

        await assert_closed(ws, 4401)
        await publish(job_of_b, status=JobStatus.RUNNING, progress=50)
        assert await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()

    run(scenario)


def test_ping_is_answered_with_pong(user):
    async def scenario():
        ws = await open_authenticated(access_token(user))

        await ws.send_json_to({"type": "ping"})

        assert await ws.receive_json_from() == {"type": "pong"}
        await ws.disconnect()

    run(scenario)


def test_an_idle_socket_is_closed_with_4408_and_pings_keep_it_open(user, settings):
    settings.WS_IDLE_TIMEOUT = timedelta(seconds=1)

    async def scenario():
        ws = await open_authenticated(access_token(user))
        for _ in range(4):  # 0.4 s apart: 1.6 s in all, past the timeout, still open
            assert await ws.receive_nothing(timeout=0.4)
            await ws.send_json_to({"type": "ping"})
            assert await ws.receive_json_from() == {"type": "pong"}

        await assert_closed(ws, 4408, timeout=2)
        await ws.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    "frame", [{"text_data": "{not json"}, {"text_data": "[1, 2]"}, {"bytes_data": b"\x00"}]
)
def test_a_frame_that_is_not_a_json_object_closes_with_4400(user, frame):
    async def scenario():
        ws = await open_authenticated(access_token(user))

        await ws.send_to(**frame)

        await assert_closed(ws, 4400)
        await ws.disconnect()

    run(scenario)


def test_a_browser_on_a_foreign_site_is_refused_before_the_handshake(user):
    token = access_token(user)

    async def scenario():
        ws = socket(token, headers=[(b"origin", b"https://evil.example.net")])

        connected, _ = await ws.connect()

        assert connected is False

    run(scenario)


def test_the_dashboards_origin_is_accepted(user, settings):
    token = access_token(user)
    origin = settings.FRONTEND_BASE_URL.encode()

    async def scenario():
        ws = socket(token, headers=[(b"origin", origin)])

        assert await ws.connect() == (True, None)
        await ws.disconnect()

    run(scenario)
