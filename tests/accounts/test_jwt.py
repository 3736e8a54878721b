"""Access and refresh JWTs: iss, aud, signature, expiry and type are checked on every request."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest
import time_machine
from django.conf import settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.models import RefreshTokenRecord
from accounts.services import session_start
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INVALID_TOKEN = {
    "type": "client_error",
    "errors": [
        {"code": "invalid_token", "detail": "The token is invalid or expired.", "attr": None}
    ],
}


def _claims(user, **overrides) -> dict:
    """The claims of a genuine access token, as Gateway issues them."""
    now = int(time.time())
    claims = {
        "token_type": "access",
        "exp": now + 300,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "sub": str(user.pk),
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
        "hash_password": get_md5_hash_password(user.password),
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def _token(user, *, secret: str | None = None, **overrides) -> str:
    return jwt.encode(_claims(user, **overrides), secret or settings.JWT_SECRET, algorithm="HS256")


def _me(client, header: str):
    return client.get("/auth/me", HTTP_AUTHORIZATION=header)


def test_a_token_with_the_right_secret_iss_and_aud_is_accepted(api_client):
    """The control case: the refusals below differ from this token in one thing only."""
    user = UserFactory()

    response = _me(api_client, f"Bearer {_token(user)}")

    assert response.status_code == 200
    assert response.json()["user"]["id"] == str(user.pk)


def test_issued_tokens_carry_iss_aud_and_the_user_as_sub():
    user = UserFactory()

    tokens = session_start(user=user)

    for raw in (tokens.access, tokens.refresh):
        claims = jwt.decode(
            raw, settings.JWT_SECRET, algorithms=["HS256"], audience=settings.JWT_AUDIENCE
        )
        assert (claims["iss"], claims["aud"], claims["sub"]) == (
            settings.JWT_ISSUER,
            settings.JWT_AUDIENCE,
            str(user.pk),
        )
    assert jwt.get_unverified_header(tokens.access)["alg"] == "HS256"


@pytest.mark.parametrize(
    "variant",
    [
        {"secret": "another-secret-that-is-long-enough-for-hs256-too"},
        {"iss": "someone-else"},
        {"aud": "other-clients"},
        {"iss": None},
        {"aud": None},
        {"exp": int(time.time()) - 1},
        {"token_type": "refresh"},
        {"hash_password": "0" * 32},
        {"sub": str(uuid.uuid4())},
        {"sub": "not-a-uuid"},
    ],
    ids=[
        "other-secret",
        "other-iss",
        "other-aud",
        "no-iss",
        "no-aud",
        "expired",
        "refresh-as-access",
        "stale-password",
        "unknown-user",
        "bad-subject",
    ],
)
def test_a_foreign_or_stale_access_token_is_one_401_invalid_token(api_client, variant):
    user = UserFactory()

    response = _me(api_client, f"Bearer {_token(user, **variant)}")

    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    "header",
    ["Bearer not.a.jwt", "Bearer abc", "Bearer a b", "Bearer eyJhbGciOiJub25lIn0.e30."],
    ids=["malformed", "garbage", "three-parts", "alg-none"],
)
def test_a_malformed_token_is_401_invalid_token(api_client, header):
    UserFactory()

    response = _me(api_client, header)

    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


def test_an_inactive_users_token_is_refused(api_client):
    user = UserFactory(is_active=False)

    response = _me(api_client, f"Bearer {_token(user)}")

    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


def test_no_token_is_401_not_authenticated(api_client):
    response = api_client.get("/auth/me")

    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "variant",
    [
        {"secret": "another-secret-that-is-long-enough-for-hs256-too"},
        {"iss": "someone-else"},
        {"aud": "other-clients"},
        {"exp": int(time.time()) - 1},
        {"token_type": "access"},
    ],
    ids=["other-secret", "other-iss", "other-aud", "expired", "access-as-refresh"],
)
def test_a_foreign_refresh_token_is_401_and_changes_nothing(api_client, variant):
    user = UserFactory()
    genuine = session_start(user=user)
    record = RefreshTokenRecord.objects.get()
    forged = _token(user, **{"token_type": "refresh", "jti": record.jti, **variant})

    refresh = api_client.post("/auth/token/refresh", {"refresh": forged}, format="json")
    logout = api_client.post("/auth/logout", {"refresh": forged}, format="json")

    for response in (refresh, logout):
        assert response.status_code == 401
        assert response.json()["errors"][0]["code"] == "invalid_token"
    assert RefreshTokenRecord.objects.get().is_live
    still_good = api_client.post("/auth/token/refresh", {"refresh": genuine.refresh}, format="json")
    assert still_good.status_code == 200


def test_a_well_signed_refresh_token_that_was_never_issued_is_refused(api_client):
    user = UserFactory()
    unrecorded = _token(user, token_type="refresh")

    response = api_client.post("/auth/token/refresh", {"refresh": unrecorded}, format="json")

    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "invalid_token"
    assert not RefreshTokenRecord.objects.exists()


def test_a_stale_authorization_header_does_not_block_login_or_refresh(api_client):
    user = UserFactory()
    tokens = session_start(user=user)
    api_client.credentials(HTTP_AUTHORIZATION="Bearer expired.or.bad")

    response = api_client.post("/auth/token/refresh", {"refresh": tokens.refresh}, format="json")

    assert response.status_code == 200


def test_a_token_accepted_before_is_refused_once_it_expires(api_client):
    """The process remembers verified tokens; the memory never outlives a token's ``exp``."""
    user = UserFactory()
    header = f"Bearer {_token(user, exp=int(time.time()) + 2)}"
    assert _me(api_client, header).status_code == 200

    with time_machine.travel(time.time() + 3):
        response = _me(api_client, header)

    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN
