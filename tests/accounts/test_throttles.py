"""Brute-force limits and the plan rate limit: 429 ``throttled`` with Retry-After."""

from __future__ import annotations

import threading

import pytest
from django.core import mail

from accounts.models import User
from accounts.services import session_start
from billing.models import Plan
from core.throttles import SlidingWindow
from gateway.env import Rate
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _login(client, email, password="wrong password", ip="203.0.113.7"):
    return client.post(
        "/auth/login", {"email": email, "password": password}, format="json", REMOTE_ADDR=ip
    )


def _assert_throttled(response, *, period: int):
    """Retry-After is positive and below two periods (see core.throttles on the estimate)."""
    assert response.status_code == 429
    assert response.json()["type"] == "client_error"
    assert [error["code"] for error in response.json()["errors"]] == ["throttled"]
    assert 1 <= int(response["Retry-After"]) < 2 * period


def test_the_eleventh_failed_login_on_an_account_is_429_even_with_the_right_password(
    api_client,
):
    """The default: 10 failed logins per account in 15 minutes, from any addresses."""
    user = UserFactory(email="ada@example.com")
    failures = [
        _login(api_client, "ada@example.com", ip=f"198.51.100.{n}").status_code for n in range(10)
    ]

    blocked = _login(api_client, "ADA@example.com", password=DEFAULT_PASSWORD, ip="192.0.2.1")

    assert failures == [401] * 10
    _assert_throttled(blocked, period=900)
    user.refresh_from_db()
    assert user.last_login is None
    other = UserFactory()
    assert _login(api_client, other.email, password=DEFAULT_PASSWORD).status_code == 200


def test_failed_logins_from_one_address_are_limited_across_accounts(api_client, settings):
    settings.LOGIN_LIMIT_PER_IP = Rate(limit=4, period=900)
    user = UserFactory()
    failures = [_login(api_client, f"guess{n}@example.com").status_code for n in range(4)]

    blocked = _login(api_client, user.email, password=DEFAULT_PASSWORD)
    elsewhere = _login(api_client, user.email, password=DEFAULT_PASSWORD, ip="203.0.113.8")

    assert failures == [401] * 4
    _assert_throttled(blocked, period=900)
    assert elsewhere.status_code == 200


def test_successful_logins_do_not_count_as_failures(api_client, settings):
    settings.LOGIN_LIMIT_PER_ACCOUNT = Rate(limit=2, period=900)
    user = UserFactory()

    answers = [
        _login(api_client, user.email, password=DEFAULT_PASSWORD).status_code for _ in range(4)
    ]

    assert answers == [200] * 4
    assert [_login(api_client, user.email).status_code for _ in range(3)] == [401, 401, 429]


def test_signup_is_limited_per_address(api_client, settings):
    settings.SIGNUP_LIMIT_PER_IP = Rate(limit=2, period=3600)

    def signup(n, ip="203.0.113.7"):
        body = {"email": f"new{n}@example.com", "password": DEFAULT_PASSWORD}
        return api_client.post("/auth/signup", body, format="json", REMOTE_ADDR=ip)

    answers = [signup(n).status_code for n in range(2)]
    blocked = signup(2)

    assert answers == [201, 201]
    _assert_throttled(blocked, period=3600)
    assert User.objects.count() == 2
    assert signup(3, ip="203.0.113.9").status_code == 201


def test_forgot_password_is_limited_per_address(api_client, settings):
    settings.FORGOT_PASSWORD_LIMIT_PER_IP = Rate(limit=2, period=3600)
    user = UserFactory()

    def forgot():
        return api_client.post("/auth/forgot-password", {"email": user.email}, format="json")

    answers = [forgot().status_code for _ in range(2)]
    blocked = forgot()

    assert answers == [202, 202]
    _assert_throttled(blocked, period=3600)
    assert len(mail.outbox) == 2


def test_one_inbox_gets_at_most_the_per_email_limit_whoever_asks(api_client, settings):
    settings.FORGOT_PASSWORD_LIMIT_PER_EMAIL = Rate(limit=2, period=3600)
    user = UserFactory()

    def forgot(ip: str, email: str = user.email):
        return api_client.post(
            "/auth/forgot-password", {"email": email}, format="json", REMOTE_ADDR=ip
        )

    answers = [forgot(f"203.0.113.{n}").status_code for n in range(1, 6)]
    other_case = forgot("203.0.113.50", email=user.email.upper())

    assert answers == [202] * 5
    assert other_case.status_code == 202
    assert len(mail.outbox) == 2
    assert {message.to[0] for message in mail.outbox} == {user.email}


def test_authenticated_requests_are_limited_by_the_users_plan(api_client):
    plan = Plan.objects.create(
        code="tiny", name="Tiny", channel_limit=1, upload_quota=1, requests_per_minute=2
    )
    user, other = UserFactory(plan=plan), UserFactory(plan=plan)
    access = session_start(user=user).access

    def me(token):
        return api_client.get("/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}")

    answers = [me(access).status_code for _ in range(2)]
    blocked = me(access)

    assert answers == [200, 200]
    _assert_throttled(blocked, period=60)
    assert me(session_start(user=other).access).status_code == 200


def test_me_costs_one_query_for_the_user_and_plan(api_client, django_assert_num_queries):
    access = session_start(user=UserFactory()).access

    with django_assert_num_queries(1):
        response = api_client.get("/auth/me", HTTP_AUTHORIZATION=f"Bearer {access}")

    assert response.status_code == 200


def test_the_client_address_is_remote_addr_unless_proxies_are_trusted(api_client, settings):
    settings.LOGIN_LIMIT_PER_IP = Rate(limit=1, period=900)

    def attempt(remote, forwarded):
        return api_client.post(
            "/auth/login",
            {"email": "x@example.com", "password": "wrong"},
            format="json",
            REMOTE_ADDR=remote,
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    # Untrusted: a forged X-Forwarded-For does not give a fresh address.
    assert attempt("10.0.0.1", "1.1.1.1").status_code == 401
    assert attempt("10.0.0.1", "2.2.2.2").status_code == 429

    # Behind one trusted proxy: the address that proxy appended counts, not REMOTE_ADDR.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert attempt("10.0.0.2", "6.6.6.6, 198.51.100.20").status_code == 401
    assert attempt("10.0.0.3", "7.7.7.7, 198.51.100.20").status_code == 429
    assert attempt("10.0.0.3", "198.51.100.21").status_code == 401


def test_ipv6_clients_are_counted_per_64_block(api_client, settings):
    settings.LOGIN_LIMIT_PER_IP = Rate(limit=1, period=900)

    assert _login(api_client, "a@example.com", ip="2001:db8:1:2::1").status_code == 401
    assert _login(api_client, "b@example.com", ip="2001:db8:1:2::ffff").status_code == 429
    assert _login(api_client, "c@example.com", ip="2001:db8:1:3::1").status_code == 401


def test_the_sliding_window_weighs_the_previous_window_and_says_how_long_to_wait():
    window = SlidingWindow("unit", Rate(limit=4, period=100))
    # window 10 (t=1000..1100): four hits, the fifth is refused until the next window
    assert all(window.hit("k", now=1000 + n).allowed for n in range(4))
    refused = window.hit("k", now=1050)
    assert (refused.allowed, refused.wait) == (False, 75)  # 50 left + a quarter of the next
    # t=1125: the previous four weigh 4 * 0.75 = 3, so one hit fits, then none
    assert window.hit("k", now=1125).allowed
    again = window.hit("k", now=1125)
    assert (again.allowed, again.wait) == (False, 25)  # at t=1150 the weight is 2: room for one
    assert window.hit("k", now=1150).allowed


def test_an_undone_hit_gives_its_place_back():
    window = SlidingWindow("unit", Rate(limit=1, period=100))
    hit = window.hit("k", now=1000)

    window.undo(hit)

    assert window.hit("k", now=1001).allowed
    assert not window.hit("k", now=1002).allowed


@pytest.mark.redis
def test_concurrent_hits_on_redis_never_exceed_the_limit():
    window = SlidingWindow("concurrency", Rate(limit=10, period=60))
    results: list[bool] = []
    lock = threading.Lock()

    def hit():
        outcome = window.hit("same-client").allowed
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=hit) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results.count(True) == 10
    assert results.count(False) == 30
