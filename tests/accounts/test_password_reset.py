"""Password reset: hashed, single-use, expiring tokens; answers that reveal nothing."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import PasswordResetToken, RefreshTokenRecord
from accounts.services import password_reset_start, session_start
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase"


def _forgot(client, email):
    return client.post("/auth/forgot-password", {"email": email}, format="json")


def _reset(client, token, password=NEW_PASSWORD):
    return client.post(
        "/auth/reset-password", {"token": token, "password": password}, format="json"
    )


def _mailed_token() -> str:
    return re.search(r"reset-password\?token=([\w-]+)", mail.outbox[-1].body).group(1)


def _assert_nothing_changed(user, password_hash):
    user.refresh_from_db()
    assert user.password == password_hash
    assert not RefreshTokenRecord.objects.filter(revoked_at__isnull=False).exists()


def test_forgot_password_answers_202_even_when_the_mail_server_is_down(api_client, settings):
    UserFactory(email="ada@example.com")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens there

    known = _forgot(api_client, "ada@example.com")
    unknown = _forgot(api_client, "nobody@example.com")

    assert (known.status_code, known.json()) == (202, {})
    assert (unknown.status_code, unknown.json()) == (202, {})


def test_forgot_password_answers_the_same_for_unknown_emails_and_sends_nothing(api_client):
    UserFactory(email="ada@example.com")

    unknown = _forgot(api_client, "nobody@example.com")
    known = _forgot(api_client, "ada@example.com")

    assert (unknown.status_code, unknown.json()) == (202, {})
    assert (known.status_code, known.json()) == (202, {})
    assert [message.to for message in mail.outbox] == [["ada@example.com"]]
    assert PasswordResetToken.objects.count() == 1


def test_the_reset_token_is_stored_only_as_its_sha256(api_client, settings):
    settings.PASSWORD_RESET_TTL = timedelta(minutes=20)
    user = UserFactory()

    _forgot(api_client, user.email)

    token = _mailed_token()
    row = PasswordResetToken.objects.get()
    assert len(token) >= 43  # 32 random bytes
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {str(value) for value in row.__dict__.values()}
    assert row.expires_at - row.created_at == timedelta(minutes=20)
    assert "expires in 20 minutes" in mail.outbox[0].body
    assert mail.outbox[0].subject == "Reset your Gateway password"


@pytest.mark.parametrize("token", ["", "x" * 300])
def test_a_blank_or_oversized_token_is_a_validation_error(api_client, token):
    response = _reset(api_client, token)

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "token"


def test_an_unknown_token_is_400_invalid_token(api_client):
    user = UserFactory()
    session_start(user=user)

    response = _reset(api_client, "made-up-token")

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {
                "code": "invalid_token",
                "detail": "The reset link is invalid, expired or already used.",
                "attr": "token",
            }
        ],
    }
    _assert_nothing_changed(user, user.password)


def test_an_expired_token_is_400_invalid_token_and_changes_nothing(api_client):
    user = UserFactory()
    session_start(user=user)
    _forgot(api_client, user.email)
    now = timezone.now()
    PasswordResetToken.objects.update(
        created_at=now - timedelta(hours=1, seconds=1), expires_at=now - timedelta(seconds=1)
    )

    response = _reset(api_client, _mailed_token())

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_token"
    _assert_nothing_changed(user, user.password)
    assert PasswordResetToken.objects.get().used_at is None


def test_a_used_token_is_400_invalid_token_the_second_time(api_client):
    user = UserFactory()
    _forgot(api_client, user.email)
    token = _mailed_token()
    assert _reset(api_client, token).status_code == 200
    user.refresh_from_db()
    after_first = user.password

    response = _reset(api_client, token, password="yet another passphrase")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_token"
    user.refresh_from_db()
    assert user.password == after_first
    assert user.check_password(NEW_PASSWORD)


def test_a_weak_new_password_is_refused_and_the_token_stays_usable(api_client):
    user = UserFactory()
    _forgot(api_client, user.email)
    token = _mailed_token()

    weak = _reset(api_client, token, password="123")

    assert weak.status_code == 400
    assert {error["attr"] for error in weak.json()["errors"]} == {"password"}
    assert "password_too_short" in [error["code"] for error in weak.json()["errors"]]
    _assert_nothing_changed(user, user.password)
    assert _reset(api_client, token).status_code == 200


def test_a_new_request_replaces_the_earlier_link(api_client):
    user = UserFactory()
    _forgot(api_client, user.email)
    first = _mailed_token()
    _forgot(api_client, user.email)
    second = _mailed_token()

    assert _reset(api_client, first).status_code == 400
    assert _reset(api_client, second).status_code == 200


def test_an_inactive_account_gets_no_reset_email():
    user = UserFactory(is_active=False)

    assert password_reset_start(email=user.email) is None
    assert mail.outbox == []


def test_a_reset_ends_every_session_of_that_user_only(api_client):
    user, other = UserFactory(), UserFactory()
    sessions = [session_start(user=user) for _ in range(3)]
    other_session = session_start(user=other)
    _forgot(api_client, user.email)

    assert _reset(api_client, _mailed_token()).status_code == 200

    for session in sessions:
        refused = api_client.post(
            "/auth/token/refresh", {"refresh": session.refresh}, format="json"
        )
        assert refused.status_code == 401
    assert RefreshTokenRecord.objects.filter(user=user, revoked_at__isnull=False).count() == 3
    kept = api_client.post("/auth/token/refresh", {"refresh": other_session.refresh}, format="json")
    assert kept.status_code == 200
    login = api_client.post(
        "/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert login.status_code == 401
