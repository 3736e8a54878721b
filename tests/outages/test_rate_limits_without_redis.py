"""Rate limits while the shared cache is unreachable: plan limits pause, the brute-force limits
count in this process, the outage is logged a bounded number of times."""

from __future__ import annotations

import logging
import time

import pytest

from billing.models import Plan
from core import cache_outage as outage_module
from core.cache_outage import cache_outage
from core.throttles import SlidingWindow
from gateway.env import Rate
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _login(client, email, password="wrong password"):
    return client.post("/auth/login", {"email": email, "password": password}, format="json")


def test_failed_logins_are_still_limited_per_process(api_client, settings, redis_unreachable):
    settings.LOGIN_LIMIT_PER_ACCOUNT = Rate(limit=3, period=900)
    user = UserFactory()

    failures = [_login(api_client, user.email).status_code for _ in range(3)]
    blocked = _login(api_client, user.email, password=DEFAULT_PASSWORD)

    assert failures == [401, 401, 401]
    assert blocked.status_code == 429
    assert [e["code"] for e in blocked.json()["errors"]] == ["throttled"]


def test_a_successful_login_is_not_counted_against_the_local_limit(
    api_client, settings, redis_unreachable
):
    settings.LOGIN_LIMIT_PER_ACCOUNT = Rate(limit=2, period=900)
    user = UserFactory()

    answers = [_login(api_client, user.email, DEFAULT_PASSWORD).status_code for _ in range(4)]

    assert answers == [200] * 4


def test_signup_is_limited_per_process(api_client, settings, redis_unreachable):
    settings.SIGNUP_LIMIT_PER_IP = Rate(limit=2, period=3600)
    body = {"password": "a long enough passphrase 42"}

    answers = [
        api_client.post("/auth/signup", {**body, "email": f"n{n}@example.com"}, format="json")
        for n in range(3)
    ]

    assert [a.status_code for a in answers] == [201, 201, 429]


def test_the_plan_rate_limit_lets_requests_through(api_client, redis_unreachable):
    Plan.objects.filter(code="free").update(requests_per_minute=2)
    user = UserFactory()
    api_client.force_authenticate(user)

    answers = [api_client.get("/auth/me").status_code for _ in range(5)]

    assert answers == [200] * 5


def test_the_outage_is_logged_once_per_limit_without_stack_traces(
    api_client, redis_unreachable, caplog
):
    user = UserFactory()
    api_client.force_authenticate(user)
    caplog.set_level(logging.WARNING, logger="core.cache_outage")

    for _ in range(8):  # below the failed-login limit of one account
        assert api_client.get("/auth/me").status_code == 200
        assert _login(api_client, "nobody@example.com").status_code == 401

    outage_records = [r for r in caplog.records if r.name == "core.cache_outage"]
    assert [record.getMessage() for record in outage_records] == [
        "rate limits: shared cache unavailable (ConnectionError)",
        "rate limit plan: shared cache unavailable, fallback 'allow'",
        "rate limit login-account: shared cache unavailable, fallback 'local'",
        "rate limit login-ip: shared cache unavailable, fallback 'local'",
    ]
    assert all(record.exc_info is None for record in outage_records)


def test_the_cache_is_probed_again_after_the_interval_and_recovery_is_logged(
    settings, monkeypatch, caplog
):
    clock = [1000.0]
    monkeypatch.setattr(outage_module.time, "monotonic", lambda: clock[0])
    cache_outage.failed(ConnectionError("refused"))
    window = SlidingWindow("probe", Rate(limit=5, period=60))
    caplog.clear()

    skipped = cache_outage.skip_cache()
    clock[0] += outage_module.PROBE_INTERVAL + 0.1
    hit = window.hit("someone")  # the shared cache (this test's Redis) answers

    assert skipped is True
    assert hit.allowed is True
    assert cache_outage.skip_cache() is False
    assert [r.getMessage() for r in caplog.records] == ["rate limits: shared cache available again"]


def test_while_the_cache_is_known_down_a_hit_does_not_wait_for_it(redis_unreachable):
    window = SlidingWindow("quick", Rate(limit=100, period=60))
    window.hit("first")  # discovers the outage

    started = time.monotonic()
    hits = [window.hit("later") for _ in range(50)]

    assert all(hit.allowed for hit in hits)
    assert time.monotonic() - started < 0.1


def test_lists_are_built_for_every_request_while_redis_is_away(
    api_client, redis_unreachable, django_assert_num_queries
):
    user = UserFactory()
    api_client.force_authenticate(user)
    assert api_client.get("/api/v1/channels").status_code == 200

    # no owner version can be read: nothing is kept, the list is read again
    with django_assert_num_queries(1):
        assert api_client.get("/api/v1/channels").status_code == 200
