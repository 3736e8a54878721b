"""Refresh rotation under concurrency, and the token check shared with WebSockets."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.services import InvalidRefreshToken, session_refresh, session_start
from core.authentication import InvalidToken, user_from_access_token
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
def test_user_from_access_token_accepts_ours_and_refuses_others():
    user = UserFactory()
    tokens = session_start(user=user)

    assert user_from_access_token(tokens.access) == user
    for bad in (tokens.refresh, "garbage", tokens.access[:-2]):
        with pytest.raises(InvalidToken):
            user_from_access_token(bad)


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
