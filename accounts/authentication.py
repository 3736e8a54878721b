"""Bearer JWT authentication with one clean error.

simplejwt verifies the signature (HS256, ``JWT_SECRET``), ``exp``, ``iss``, ``aud`` and the
token type; this module adds the active-user and password-revocation checks in one query
(the plan comes along for the plan throttle) and turns every refusal into a single
401 ``invalid_token`` error instead of simplejwt's nested detail.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed as SimpleJWTFailed
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.models import User


class InvalidToken(exceptions.AuthenticationFailed):
    default_detail = "The token is invalid or expired."
    default_code = "invalid_token"


class JWTAuthentication(authentication.JWTAuthentication):
    # simplejwt annotates these with a TypeVar bound to no argument; no override can match it.
    def authenticate(  # type: ignore[override]
        self, request: Request
    ) -> tuple[AbstractBaseUser, Token] | None:
        try:
            return super().authenticate(request)
        except SimpleJWTFailed as exc:  # includes simplejwt's InvalidToken
            raise InvalidToken() from exc

    def get_user(self, validated_token: Token) -> AbstractBaseUser:  # type: ignore[override]
        user_id = validated_token.get(api_settings.USER_ID_CLAIM)
        try:
            user = User.objects.select_related("plan").get(pk=user_id, is_active=True)
        except User.DoesNotExist as exc:
            raise InvalidToken() from exc
        except (ValueError, DjangoValidationError) as exc:  # signed, but a malformed subject
            raise InvalidToken() from exc
        revoke_claim = validated_token.get(api_settings.REVOKE_TOKEN_CLAIM)
        if api_settings.CHECK_REVOKE_TOKEN and revoke_claim != get_md5_hash_password(user.password):
            raise InvalidToken()  # the password changed since the token was issued
        return user


def authenticate_access_token(raw_token: str) -> tuple[AbstractBaseUser, Token]:
    """The active user of an access JWT and the validated token, for transports without DRF
    (WebSockets), checked exactly as ``Authorization: Bearer`` is.

    Raises :class:`InvalidToken` for any bad, expired, foreign or revoked token.
    """
    auth = JWTAuthentication()
    try:
        validated = auth.get_validated_token(raw_token.encode())
    except SimpleJWTFailed as exc:
        raise InvalidToken() from exc
    return auth.get_user(validated), validated


def authenticated_user(request: Request) -> User:
    """``request.user`` of a view behind ``IsAuthenticated``, typed as our user model."""
    user = request.user
    if not isinstance(user, User):
        raise exceptions.NotAuthenticated()
    return user
