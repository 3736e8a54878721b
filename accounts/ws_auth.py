"""Authentication and origin checks for WebSockets.

A socket presents the same access JWT as a REST request, and it is validated by the same code:
``accounts.authentication``, so signature, expiry, token type, ``iss``, ``aud``, the user's
existence, ``is_active`` and password revocation are checked exactly as for
``Authorization: Bearer``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from channels.db import database_sync_to_async
from channels.security.websocket import OriginValidator
from django.conf import settings
from rest_framework_simplejwt.state import token_backend

from accounts.authentication import InvalidToken, authenticate_access_token


class SocketAuthError(Exception):
    """The token does not authenticate anyone (the socket is closed with 4401)."""


@dataclass(frozen=True)
class SocketIdentity:
    user_id: str
    expires_at: datetime
    """When the token stops being accepted (``exp`` plus simplejwt's leeway)."""


def authenticate_token(raw_token: str) -> SocketIdentity:
    """Validate an access JWT as the REST API does; raise :class:`SocketAuthError` if refused."""
    try:
        user, token = authenticate_access_token(raw_token)
    except InvalidToken as exc:
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
