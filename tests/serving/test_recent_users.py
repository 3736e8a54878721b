"""Authentication keeps a user and plan for AUTH_USER_CACHE_TTL seconds per process instead of
reading them on every request, and still ends old tokens when the password changes or the
account is deactivated: at once in the process that saved it, within the TTL elsewhere."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from accounts.authentication import RecentUsers
from accounts.models import User
from accounts.services import session_start
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _me(api_client, access: str):
    return api_client.get("/auth/me", HTTP_AUTHORIZATION=f"Bearer {access}")


def test_a_second_request_reads_no_user(api_client, django_assert_num_queries):
    access = session_start(user=UserFactory()).access
    with django_assert_num_queries(1):  # the user and plan
        assert _me(api_client, access).status_code == 200

    with django_assert_num_queries(0):
        assert _me(api_client, access).status_code == 200


def test_a_password_change_ends_the_old_tokens_at_once(api_client):
    user = UserFactory()
    access = session_start(user=user).access
    assert _me(api_client, access).status_code == 200

    user.set_password("another long passphrase 42")
    user.save()

    assert _me(api_client, access).status_code == 401
    assert _me(api_client, session_start(user=user).access).status_code == 200


def test_a_deactivation_ends_access_at_once(api_client):
    user = UserFactory()
    access = session_start(user=user).access
    assert _me(api_client, access).status_code == 200

    user.is_active = False
    user.save()

    assert _me(api_client, access).status_code == 401


def test_a_change_saved_by_another_process_ends_access_within_the_ttl(api_client, settings):
    settings.AUTH_USER_CACHE_TTL = timedelta(seconds=1)
    user = UserFactory()
    access = session_start(user=user).access
    assert _me(api_client, access).status_code == 200

    # another process deactivates the user: no signal reaches this one
    User.objects.filter(pk=user.pk).update(is_active=False)
    within = _me(api_client, access)
    time.sleep(1.1)
    after = _me(api_client, access)

    assert (within.status_code, after.status_code) == (200, 401)


def test_a_token_issued_after_a_password_change_elsewhere_works_at_once(api_client):
    user = UserFactory()
    assert _me(api_client, session_start(user=user).access).status_code == 200

    user.set_password("another long passphrase 42")
    User.objects.filter(pk=user.pk).update(password=user.password)  # another process

    assert _me(api_client, session_start(user=user).access).status_code == 200


def test_with_a_ttl_of_zero_every_request_reads_the_user(
    api_client, settings, django_assert_num_queries
):
    settings.AUTH_USER_CACHE_TTL = timedelta(0)
    access = session_start(user=UserFactory()).access
    assert _me(api_client, access).status_code == 200

    with django_assert_num_queries(1):
        assert _me(api_client, access).status_code == 200


def test_each_request_gets_its_own_copy_of_the_user_and_plan(settings, plans):
    recent = RecentUsers()
    user = User.objects.select_related("plan").get(pk=UserFactory().pk)
    recent.keep(user)

    first = recent.get(str(user.pk))
    assert first is not None
    assert first.plan is not None
    first.email = "changed@example.com"
    first.plan.requests_per_minute = 1

    second = recent.get(str(user.pk))
    assert second is not None
    assert second.plan is not None
    assert second.email == user.email
    assert second.plan.requests_per_minute == user.plan.requests_per_minute
