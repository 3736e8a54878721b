"""The whole account lifecycle of docs/api.md's /auth table, end to end over HTTP."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail

from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "a sturdy first passphrase"
NEW_PASSWORD = "an even sturdier second one"
INVALID_TOKEN = [
    {
        "code": "invalid_token",
        "detail": "The refresh token is invalid, expired or already used.",
        "attr": None,
    }
]


def _post(client, path, body, **headers):
    return client.post(path, body, format="json", **headers)


def _me(client, access):
    return client.get("/auth/me", HTTP_AUTHORIZATION=f"Bearer {access}")


def _reset_token_from_mailbox() -> str:
    message = mail.outbox[-1]
    url = re.search(r"http\S+reset-password\?\S+", message.body).group(0)
    assert url.startswith("http://localhost:3000/reset-password?token=")
    return parse_qs(urlsplit(url).query)["token"][0]


def test_signup_login_refresh_logout_reset_and_every_old_session_refused(api_client):
    # signup
    signup = _post(api_client, "/auth/signup", {"email": "Ada@Example.com", "password": PASSWORD})
    assert signup.status_code == 201
    user = User.objects.get()
    assert signup.json()["user"] == {
        "id": str(user.pk),
        "email": "ada@example.com",
        "name": "",
        "plan": "free",
        "isStaff": False,
        "createdAt": user.created_at.isoformat().replace("+00:00", "Z"),
    }
    assert user.password.startswith("argon2$")
    signup_refresh = signup.json()["refresh"]

    # login (any case of the email) and me
    login = _post(api_client, "/auth/login", {"email": "ADA@example.com", "password": PASSWORD})
    assert login.status_code == 200
    assert set(login.json()) == {"user", "access", "refresh"}
    me = _me(api_client, login.json()["access"])
    assert me.status_code == 200
    assert me.json() == {"user": signup.json()["user"]}

    # refresh rotates: the old refresh token then fails
    refreshed = _post(api_client, "/auth/token/refresh", {"refresh": login.json()["refresh"]})
    assert refreshed.status_code == 200
    assert set(refreshed.json()) == {"access", "refresh"}
    assert _me(api_client, refreshed.json()["access"]).status_code == 200
    reused = _post(api_client, "/auth/token/refresh", {"refresh": login.json()["refresh"]})
    assert reused.status_code == 401
    assert reused.json()["errors"] == INVALID_TOKEN

    # logout: that refresh token then fails
    logout = _post(api_client, "/auth/logout", {"refresh": refreshed.json()["refresh"]})
    assert logout.status_code == 204
    after_logout = _post(
        api_client, "/auth/token/refresh", {"refresh": refreshed.json()["refresh"]}
    )
    assert after_logout.status_code == 401
    assert after_logout.json()["errors"] == INVALID_TOKEN

    # a second session that stays open until the reset
    second = _post(api_client, "/auth/login", {"email": "ada@example.com", "password": PASSWORD})
    assert second.status_code == 200

    # forgot-password mails a link with a token; reset with it
    forgot = _post(api_client, "/auth/forgot-password", {"email": "ada@EXAMPLE.com"})
    assert forgot.status_code == 202
    assert forgot.json() == {}
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ada@example.com"]
    token = _reset_token_from_mailbox()
    html, mimetype = mail.outbox[0].alternatives[0]
    assert mimetype == "text/html"
    assert f"reset-password?token={token}" in html
    reset = _post(api_client, "/auth/reset-password", {"token": token, "password": NEW_PASSWORD})
    assert reset.status_code == 200
    assert reset.json() == {}

    # the new password works, the old one does not
    new_login = _post(
        api_client, "/auth/login", {"email": "ada@example.com", "password": NEW_PASSWORD}
    )
    assert new_login.status_code == 200
    old_login = _post(api_client, "/auth/login", {"email": "ada@example.com", "password": PASSWORD})
    assert old_login.status_code == 401
    assert old_login.json()["errors"][0]["code"] == "invalid_credentials"

    # every earlier refresh token is refused, and so is the earlier access token
    for earlier in (signup_refresh, second.json()["refresh"]):
        answer = _post(api_client, "/auth/token/refresh", {"refresh": earlier})
        assert answer.status_code == 401
        assert answer.json()["errors"] == INVALID_TOKEN
    assert _me(api_client, second.json()["access"]).status_code == 401
    assert _me(api_client, new_login.json()["access"]).status_code == 200
    # the reset token was single-use
    again = _post(api_client, "/auth/reset-password", {"token": token, "password": PASSWORD})
    assert again.status_code == 400
    assert again.json()["errors"][0]["code"] == "invalid_token"
