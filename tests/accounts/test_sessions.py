"""Refresh rotation under concurrency, and the token check shared with WebSockets."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.authentication import InvalidToken, authenticate_access_token
from accounts.models import PasswordResetToken
from accounts.services import InvalidRefreshToken, session_end, session_refresh, session_start
from accounts.tasks import expired_tokens_purge
from tests.factories import UserFactory


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_concurrent_refreshes_of_one_token_yield_one_new_session():
    tokens = session_start(user=UserFactory())
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def refresh() -> None:
        barrier.wait()
        try:
            session_refresh(refresh=tokens.refresh)
            outcomes.append("ok")
        except InvalidRefreshToken:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["ok", "refused", "refused", "refused"]
    assert BlacklistedToken.objects.count() == 1
    assert OutstandingToken.objects.count() == 2


@pytest.mark.django_db
def test_authenticate_access_token_accepts_ours_and_refuses_others():
    user = UserFactory()
    tokens = session_start(user=user)

    authenticated, token = authenticate_access_token(tokens.access)
    assert authenticated == user
    assert token["sub"] == str(user.pk)
    for bad in (tokens.refresh, "garbage", tokens.access[:-2]):
        with pytest.raises(InvalidToken):
            authenticate_access_token(bad)


@pytest.mark.django_db
def test_a_deactivated_users_refresh_token_is_refused_and_stays_unused(api_client):
    user = UserFactory()
    tokens = session_start(user=user)
    user.is_active = False
    user.save(update_fields=["is_active"])

    response = api_client.post("/auth/token/refresh", {"refresh": tokens.refresh}, format="json")

    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "invalid_token"
    assert not BlacklistedToken.objects.exists()


@pytest.mark.django_db
def test_logging_out_twice_is_refused_the_second_time(api_client):
    tokens = session_start(user=UserFactory())

    first = api_client.post("/auth/logout", {"refresh": tokens.refresh}, format="json")
    second = api_client.post("/auth/logout", {"refresh": tokens.refresh}, format="json")

    assert first.status_code == 204
    assert second.status_code == 401
    assert second.json()["errors"][0]["code"] == "invalid_token"
    assert BlacklistedToken.objects.count() == 1


@pytest.mark.django_db
def test_expired_token_records_are_purged_and_live_ones_kept():
    user = UserFactory()
    live = session_start(user=user)
    old = session_start(user=user)
    session_end(refresh=old.refresh)
    past = timezone.now() - timedelta(seconds=1)
    OutstandingToken.objects.filter(token=old.refresh).update(expires_at=past)
    PasswordResetToken.objects.create(
        user=user, token_hash="0" * 64, created_at=past - timedelta(hours=1), expires_at=past
    )

    expired_tokens_purge.delay()

    assert list(OutstandingToken.objects.values_list("token", flat=True)) == [live.refresh]
    assert not BlacklistedToken.objects.exists()
    assert not PasswordResetToken.objects.exists()
