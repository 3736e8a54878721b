"""Authentication and origin checks for WebSockets.

A socket presents the same access JWT as a REST request, and it is validated by the same code:
the JWT authentication class configured for DRF (simplejwt's), so signature, expiry, token
type, ``iss``, ``aud``, the user's existence and ``is_active`` are checked exactly as for
``Authorization: Bearer``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from channels.db import database_sync_to_async
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.settings import api_settings as drf_settings
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.state import token_backend


class SocketAuthError(Exception):
    """The token does not authenticate anyone (the socket is closed with 4401)."""


@dataclass(frozen=True)
class SocketIdentity:
    user_id: str
    expires_at: datetime
    """When the token stops being accepted (``exp`` plus simplejwt's leeway)."""


def _jwt_authentication() -> JWTAuthentication:
    """The REST API's own JWT authentication class, so sockets accept exactly the same tokens."""
    for auth_class in drf_settings.DEFAULT_AUTHENTICATION_CLASSES:
        if issubclass(auth_class, JWTAuthentication):
            return auth_class()
    raise ImproperlyConfigured("No JWT authentication class in DEFAULT_AUTHENTICATION_CLASSES.")


def authenticate_token(raw_token: str) -> SocketIdentity:
    """Validate an access JWT as the REST API does; raise :class:`SocketAuthError` if refused."""
    authentication = _jwt_authentication()
    try:
        token = authentication.get_validated_token(raw_token.encode())
        user = authentication.get_user(token)
    # AuthenticationFailed is DRF's: simplejwt's refusals and a custom class's derive from it.
    # ValidationError: a validly signed token whose subject is not a UUID.
    except (AuthenticationFailed, TokenError, ValidationError) as exc:
        raise SocketAuthError(str(exc)) from exc
    expires_at = datetime.fromtimestamp(token["exp"], tz=UTC) + token_backend.get_leeway()
    return SocketIdentity(user_id=str(user.pk), expires_at=expires_at)


authenticate_socket_token = database_sync_to_async(authenticate_token)
"""``authenticate_token`` for consumers (the user lookup runs in a thread)."""


class _TokenOriginValidator(OriginValidator):
    """Refuse cross-site browsers; let non-browser clients (no ``Origin``) through.

    Sockets authenticate with a bearer token, never a cookie, so a client without an
    ``Origin`` header (a script, a mobile app) carries no ambient credentials to abuse.
    """

    def valid_origin(self, parsed_origin: Any) -> bool:
        return parsed_origin is None or self.validate_origin(parsed_origin)


def websocket_origin_validator(application: Any) -> OriginValidator:
    """Allow the dashboard (``FRONTEND_BASE_URL``) and the hosts Gateway serves."""
    return _TokenOriginValidator(
        application, [*settings.ALLOWED_HOSTS, settings.FRONTEND_BASE_URL.lower()]
    )
