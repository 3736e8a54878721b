"""Refresh rotation under concurrency, reuse detection, and the token check shared with
WebSockets."""

from __future__ import annotations

import logging
import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.authentication import InvalidToken, authenticate_access_token
from accounts.models import PasswordResetToken, RefreshTokenRecord
from accounts.services import InvalidRefreshToken, session_end, session_refresh, session_start
from accounts.tasks import expired_tokens_purge
from tests.factories import DEFAULT_PASSWORD, UserFactory


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
    # The losers came within the grace period: refused, and the new token still works.
    assert RefreshTokenRecord.objects.filter(rotated_at__isnull=False).count() == 1
    assert RefreshTokenRecord.objects.filter(rotated_at=None, revoked_at=None).count() == 1


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
    assert RefreshTokenRecord.objects.get().is_live


@pytest.mark.django_db
def test_logging_out_twice_is_refused_the_second_time(api_client):
    tokens = session_start(user=UserFactory())

    first = api_client.post("/auth/logout", {"refresh": tokens.refresh}, format="json")
    second = api_client.post("/auth/logout", {"refresh": tokens.refresh}, format="json")

    assert first.status_code == 204
    assert second.status_code == 401
    assert second.json()["errors"][0]["code"] == "invalid_token"
    assert RefreshTokenRecord.objects.get().revoked_at is not None


@pytest.mark.django_db
def test_expired_token_records_are_purged_and_live_ones_kept():
    user = UserFactory()
    live = session_start(user=user)
    old = session_start(user=user)
    session_end(refresh=old.refresh)
    past = timezone.now() - timedelta(seconds=1)
    RefreshTokenRecord.objects.filter(revoked_at__isnull=False).update(expires_at=past)
    PasswordResetToken.objects.create(
        user=user, token_hash="0" * 64, created_at=past - timedelta(hours=1), expires_at=past
    )

    expired_tokens_purge.delay()

    assert [record.is_live for record in RefreshTokenRecord.objects.all()] == [True]
    session_refresh(refresh=live.refresh)  # still works
    assert not PasswordResetToken.objects.exists()


# --- reuse of a rotated refresh token ------------------------------------------------------


def _refresh(client, token: str):
    return client.post("/auth/token/refresh", {"refresh": token}, format="json")


def _rotated_seconds_ago(token: str, seconds: int) -> None:
    """Pretend ``token`` was rotated ``seconds`` ago."""
    jti = RefreshToken(token)["jti"]  # type: ignore[arg-type]
    then = timezone.now() - timedelta(seconds=seconds)
    RefreshTokenRecord.objects.filter(jti=jti).update(rotated_at=then)


def _security_events(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "gateway.security"]


@pytest.mark.django_db
def test_reusing_a_rotated_token_after_the_grace_ends_its_login_and_logs_it(
    api_client, settings, caplog
):
    settings.JWT_REUSE_GRACE = timedelta(seconds=30)
    user = UserFactory()
    first = session_start(user=user).refresh
    second = _refresh(api_client, first).json()["refresh"]
    newest = _refresh(api_client, second).json()["refresh"]
    other_login = session_start(user=user).refresh
    _rotated_seconds_ago(first, 31)

    with caplog.at_level(logging.WARNING, logger="gateway.security"):
        replay = _refresh(api_client, first)

    assert replay.status_code == 401
    assert replay.json()["errors"][0]["code"] == "invalid_token"
    # The thief's (or the victim's) newest token of that login is refused too ...
    assert _refresh(api_client, newest).status_code == 401
    # ... and the user's other logins go on.
    assert _refresh(api_client, other_login).status_code == 200
    [event] = _security_events(caplog)
    assert event.levelno == logging.WARNING
    assert event.event == "refresh_token_reuse"
    assert event.user_id == str(user.pk)
    logged = f"{event.getMessage()} {event.__dict__}"
    for token in (first, second, newest):
        assert token.rsplit(".", 1)[1] not in logged  # no token, not even its signature


@pytest.mark.django_db
def test_a_rotated_token_presented_again_within_the_grace_is_refused_and_the_login_goes_on(
    api_client, settings, caplog
):
    settings.JWT_REUSE_GRACE = timedelta(seconds=30)
    first = session_start(user=UserFactory()).refresh
    second = _refresh(api_client, first).json()["refresh"]
    _rotated_seconds_ago(first, 29)

    with caplog.at_level(logging.WARNING, logger="gateway.security"):
        late_tab = _refresh(api_client, first)

    assert late_tab.status_code == 401
    assert late_tab.json()["errors"][0]["code"] == "invalid_token"
    assert _refresh(api_client, second).status_code == 200
    assert not _security_events(caplog)


@pytest.mark.django_db
def test_logging_out_with_a_rotated_token_after_the_grace_also_ends_the_login(api_client, settings):
    settings.JWT_REUSE_GRACE = timedelta(seconds=30)
    first = session_start(user=UserFactory()).refresh
    newest = _refresh(api_client, first).json()["refresh"]
    _rotated_seconds_ago(first, 31)

    logout = api_client.post("/auth/logout", {"refresh": first}, format="json")

    assert logout.status_code == 401
    assert _refresh(api_client, newest).status_code == 401


# --- nothing usable at rest ------------------------------------------------------------------

_JWT_SHAPED = re.compile(r"[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}")


def _every_cell_of_every_table() -> str:
    """Every value of every row of every table, as an attacker reading the database sees it."""
    cells = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            table_name = connection.ops.quote_name(table)  # a name the database gave us
            cursor.execute(f"SELECT * FROM {table_name}")  # noqa: S608
            cells.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(cells)


@pytest.mark.django_db
def test_a_dump_of_the_database_after_login_holds_no_refresh_token_that_works(api_client):
    UserFactory(email="ada@example.com")
    login = api_client.post(
        "/auth/login", {"email": "ada@example.com", "password": DEFAULT_PASSWORD}, format="json"
    )
    rotated = login.json()["refresh"]
    live = _refresh(api_client, rotated).json()["refresh"]

    dump = _every_cell_of_every_table()

    assert RefreshTokenRecord.objects.count() == 2  # both tokens are known to the server
    for token in (rotated, live):
        assert token.rsplit(".", 1)[1] not in dump
    # Only a JWT can be a refresh token: try every JWT-shaped string of the dump.
    for candidate in set(_JWT_SHAPED.findall(dump)):
        assert _refresh(api_client, candidate).status_code == 401
    assert _refresh(api_client, live).status_code == 200  # the control: the real one works
