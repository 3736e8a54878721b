"""Bearer JWT authentication with one clean error.

simplejwt verifies the signature (HS256, ``JWT_SECRET``), ``exp``, ``iss``, ``aud`` and the
token type; this module adds the active-user and password-revocation checks in one query
(the plan comes along for the plan throttle) and turns every refusal into a single
401 ``invalid_token`` error instead of simplejwt's nested detail.

That query is skipped while :data:`_recent_users` holds the user: each process keeps an
authenticated (user, plan) for ``AUTH_USER_CACHE_TTL`` seconds (5 by default). The token is
still checked against the kept user's password digest, and a token whose digest differs (a
token issued after a password change) reads the user again. Saving a user drops it at once in
the saving process (a password reset, a deactivation, an admin edit); in the other processes
a password change or deactivation ends the old tokens within the TTL, and a plan change
(``billing.subscriptions`` updates the row) reaches the rate limit within the TTL. Every
request gets its own copies, so a view that changes ``request.user`` changes nothing shared.

Verifying a token's signature and claims is a pure function of the token and the clock, so
each process also remembers the tokens it verified (:data:`_verified_tokens`) until they expire:
a client's next requests with the same token skip the HMAC and the claim checks.
"""

from __future__ import annotations

import copy
import time

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed as SimpleJWTFailed
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.models import User
from core.memo import ExpiringMemo


class InvalidToken(exceptions.AuthenticationFailed):
    default_detail = "The token is invalid or expired."
    default_code = "invalid_token"


class RecentUsers:
    """Active users with their plan, kept per process for ``AUTH_USER_CACHE_TTL`` seconds."""

    def __init__(self) -> None:
        self._memo: ExpiringMemo[str, User] = ExpiringMemo(max_entries=10_000)

    def get(self, user_id: str) -> User | None:
        """A copy of the kept user (and plan), or ``None`` when absent or expired."""
        user = self._memo.get(user_id)
        return None if user is None else _copy(user)

    def keep(self, user: User) -> None:
        ttl = settings.AUTH_USER_CACHE_TTL.total_seconds()
        if ttl > 0:
            self._memo.keep(str(user.pk), _copy(user), until=time.monotonic() + ttl)

    def drop(self, user_id: str) -> None:
        self._memo.drop(user_id)


def _copy(user: User) -> User:
    """A user whose fields (and plan) can change without touching the original."""
    clone = copy.copy(user)  # Model.__getstate__ copies _state and its related-object cache
    if user.plan is not None:
        clone.plan = copy.copy(user.plan)
    return clone


_recent_users = RecentUsers()


# Access tokens this process verified, kept until their ``exp`` (wall clock, as ``exp`` is).
_verified_tokens: ExpiringMemo[bytes, Token] = ExpiringMemo(max_entries=10_000, clock=time.time)


@receiver(post_save, sender=User, dispatch_uid="accounts.authentication.user_saved")
@receiver(post_delete, sender=User, dispatch_uid="accounts.authentication.user_deleted")
def _forget_user(sender: type[User], instance: User, **kwargs: object) -> None:
    """A saved user (new password, deactivated, new plan) is read again on its next request."""
    _recent_users.drop(str(instance.pk))


class JWTAuthentication(authentication.JWTAuthentication):
    # simplejwt annotates these with a TypeVar bound to no argument; no override can match it.
    def authenticate(  # type: ignore[override]
        self, request: Request
    ) -> tuple[AbstractBaseUser, Token] | None:
        try:
            return super().authenticate(request)
        except SimpleJWTFailed as exc:  # includes simplejwt's InvalidToken
            raise InvalidToken() from exc

    def get_validated_token(self, raw_token: bytes) -> Token:
        token = _verified_tokens.get(raw_token)
        if token is None:
            token = super().get_validated_token(raw_token)
            _verified_tokens.keep(raw_token, token, until=float(token["exp"]))
        return token

    def get_user(self, validated_token: Token) -> AbstractBaseUser:  # type: ignore[override]
        user_id = str(validated_token.get(api_settings.USER_ID_CLAIM))
        user = _recent_users.get(user_id)
        if user is not None and _issued_for(validated_token, user):
            return user
        try:
            user = User.objects.select_related("plan").get(pk=user_id, is_active=True)
        except User.DoesNotExist as exc:
            raise InvalidToken() from exc
        except (ValueError, DjangoValidationError) as exc:  # signed, but a malformed subject
            raise InvalidToken() from exc
        if not _issued_for(validated_token, user):
            raise InvalidToken()  # the password changed since the token was issued
        _recent_users.keep(user)
        return user


def _issued_for(validated_token: Token, user: User) -> bool:
    """The token carries the digest of ``user``'s current password (if revocation is on)."""
    if not api_settings.CHECK_REVOKE_TOKEN:
        return True
    revoke_claim = validated_token.get(api_settings.REVOKE_TOKEN_CLAIM)
    return bool(revoke_claim == get_md5_hash_password(user.password))


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
