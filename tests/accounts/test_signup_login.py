"""Signup and login refusals: each a documented 4xx that changes nothing."""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher

from accounts.models import User
from billing.models import Plan
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _signup(client, **body):
    return client.post("/auth/signup", body, format="json")


def _login(client, email, password):
    return client.post("/auth/login", {"email": email, "password": password}, format="json")


def test_signup_puts_the_user_on_the_free_plan_even_before_seed_plans(api_client):
    assert not Plan.objects.exists()

    response = _signup(api_client, email="new@example.com", password=DEFAULT_PASSWORD, name="Ann")

    assert response.status_code == 201
    assert response.json()["user"]["plan"] == "free"
    assert response.json()["user"]["name"] == "Ann"
    assert User.objects.get().plan.code == "free"


def test_signup_with_a_taken_email_in_another_case_is_400_email_taken(api_client):
    existing = UserFactory(email="ada@example.com")

    response = _signup(api_client, email="ADA@Example.COM", password="another good passphrase")

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {
                "code": "email_taken",
                "detail": "An account with this email already exists.",
                "attr": "email",
            }
        ],
    }
    assert list(User.objects.all()) == [existing]


@pytest.mark.parametrize(
    ("password", "codes"),
    [
        ("short", ["password_too_short"]),
        ("password123", ["password_too_common"]),
        ("12345678", ["password_too_common", "password_entirely_numeric"]),
        ("jane.doe.example", ["password_too_similar"]),
    ],
)
def test_signup_with_a_weak_password_is_400_with_django_validator_codes(
    api_client, password, codes
):
    response = _signup(api_client, email="jane.doe@example.com", password=password)

    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert [error["code"] for error in body["errors"]] == codes
    assert {error["attr"] for error in body["errors"]} == {"password"}
    assert not User.objects.exists()


def test_signup_with_a_malformed_email_is_400(api_client):
    response = _signup(api_client, email="not-an-email", password=DEFAULT_PASSWORD)

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "email"
    assert not User.objects.exists()


def test_wrong_password_and_unknown_email_get_the_same_401(api_client):
    user = UserFactory(email="ada@example.com")

    wrong = _login(api_client, "ada@example.com", "not the password")
    unknown = _login(api_client, "nobody@example.com", DEFAULT_PASSWORD)

    expected = {
        "type": "client_error",
        "errors": [
            {
                "code": "invalid_credentials",
                "detail": "The email or password is incorrect.",
                "attr": None,
            }
        ],
    }
    assert (wrong.status_code, wrong.json()) == (401, expected)
    assert (unknown.status_code, unknown.json()) == (401, expected)
    user.refresh_from_db()
    assert user.last_login is None


def test_an_inactive_account_cannot_log_in(api_client):
    UserFactory(email="ada@example.com", is_active=False)

    response = _login(api_client, "ada@example.com", DEFAULT_PASSWORD)

    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "invalid_credentials"


def test_an_unknown_email_still_runs_the_argon2_hasher(api_client):
    """Same work, same time: an attacker cannot tell registered emails by latency."""
    encode = Argon2PasswordHasher.encode
    with mock.patch.object(
        Argon2PasswordHasher, "encode", autospec=True, side_effect=encode
    ) as spy:
        response = _login(api_client, "nobody@example.com", DEFAULT_PASSWORD)

    assert response.status_code == 401
    assert spy.call_count == 1


def test_login_records_last_login(api_client):
    user = UserFactory()

    response = _login(api_client, user.email.upper(), DEFAULT_PASSWORD)

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.last_login is not None
