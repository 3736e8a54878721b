"""A forged X-Forwarded-For does not change the counted client address, whichever start
command runs the server (issue: rotating that header defeated the per-address limits)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from django.conf import settings

from tests.realtime.servers import shared_database_url
from tests.serving.servers import START_COMMANDS, embedded_database_url, started

LIMITS = {
    "LOGIN_LIMIT_PER_IP": "3/15m",
    "LOGIN_LIMIT_PER_ACCOUNT": "100/15m",
    "SIGNUP_LIMIT_PER_IP": "2/1h",
    "FORGOT_PASSWORD_LIMIT_PER_IP": "2/1h",
}


def _forged(i: int) -> dict[str, str]:
    return {"X-Forwarded-For": f"203.0.113.{i}"}


def _server_env(start: str, tmp_path) -> dict[str, str]:
    if start == "make run":
        # make run's own embedded mode: SQLite, no Redis, the .env it writes itself.
        return {
            "ENV_FILE": str(tmp_path / ".env"),
            "DATABASE_URL": embedded_database_url(tmp_path),
            **LIMITS,
        }
    return {
        "DATABASE_URL": shared_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "WEB_CONCURRENCY": "2",
        **LIMITS,
    }


def _failed_logins(client: httpx.Client, forwarded_for: Callable[[int], str], count: int):
    """Statuses of ``count`` logins with a wrong password, each for another account, the
    i-th one sending ``X-Forwarded-For: forwarded_for(i)``."""
    return [
        client.post(
            "/auth/login",
            json={"email": f"nobody{i}@example.com", "password": "not the password"},
            headers={"X-Forwarded-For": forwarded_for(i)},
        ).status_code
        for i in range(count)
    ]


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("start", START_COMMANDS)
def test_a_forged_forwarded_for_does_not_escape_the_per_address_limits(start, tmp_path):
    # given the server started as `start` starts it, with no proxy configured
    with (
        started(start, tmp_path, **_server_env(start, tmp_path)) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as client,
    ):
        # when every request claims another address in X-Forwarded-For
        logins = _failed_logins(client, lambda i: f"203.0.113.{i}", 5)
        signups = [
            client.post(
                "/auth/signup",
                json={"email": f"new{i}@example.com", "password": "a long unusual pass 42"},
                headers=_forged(i),
            ).status_code
            for i in range(3)
        ]
        resets = [
            client.post(
                "/auth/forgot-password",
                json={"email": f"new{i}@example.com"},
                headers=_forged(i),
            ).status_code
            for i in range(3)
        ]

    # then the socket address is counted: every limit bites at its configured count
    assert logins == [401, 401, 401, 429, 429]
    assert signups == [201, 201, 429]
    assert resets == [202, 202, 429]


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_behind_one_trusted_proxy_the_address_that_proxy_appended_is_counted(tmp_path):
    # given one proxy in front, which appends the address it saw to X-Forwarded-For
    env = {**_server_env("procfile", tmp_path), "TRUSTED_PROXY_COUNT": "1"}
    with (
        started("procfile", tmp_path, **env) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as client,
    ):
        # when five clients fail a login, each seen by the proxy at another address,
        # and each forges a constant leftmost entry
        distinct = _failed_logins(client, lambda i: f"10.9.9.9, 198.51.100.{i}", 5)
        # and four more come through the proxy from one address, forging the left part
        same = _failed_logins(client, lambda i: f"203.0.113.{i}, 198.51.100.77", 4)

    # then each address the proxy saw has its own count, and only those count
    assert distinct == [401] * 5
    assert same == [401, 401, 401, 429]
