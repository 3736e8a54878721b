"""Translate what google-auth, httplib2 and google-api-python-client raise into ProviderErrors.

Shared by every YouTube call (channel reads here, uploads in ``upload.py``) so the whole
gateway agrees on what is worth retrying and what means "the grant is gone".
"""

from __future__ import annotations

import json
import socket

import httplib2
from google.auth import exceptions as auth_exceptions
from googleapiclient.errors import HttpError

from providers.errors import (
    GrantRevokedError,
    PermanentProviderError,
    ProviderError,
    QuotaExhaustedError,
    TransientProviderError,
)

#: Reasons of a 403 that only ask to slow down: retried with back-off like a 429.
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})

UPLOAD_LIMIT_MESSAGE = (
    "Your YouTube channel has reached the number of videos YouTube lets it upload for now. "
    "This is a limit of your channel, set by YouTube: retry this upload in a day."
)

#: Exceptions raised when Google could not be reached or did not answer in time.
NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # includes socket.timeout / TimeoutError and ConnectionError
    socket.timeout,
    httplib2.HttpLib2Error,
    auth_exceptions.TransportError,
)


def _refresh_error_code(exc: auth_exceptions.RefreshError) -> str:
    details = exc.args[1] if len(exc.args) > 1 else None
    if isinstance(details, dict):
        return str(details.get("error", ""))
    return str(exc.args[0]).split(":", 1)[0] if exc.args else ""


def _http_error_reason(exc: HttpError) -> str:
    try:
        body = json.loads(exc.content or b"{}")
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        errors = error.get("errors") or [{}]
        return str(errors[0].get("reason", "")) or str(error.get("status", ""))
    return str(error or "")


def translate_google_error(exc: Exception) -> ProviderError:
    """The ProviderError for ``exc``; the caller raises it ``from exc``."""
    if isinstance(exc, auth_exceptions.RefreshError):
        if _refresh_error_code(exc) == "invalid_grant":
            return GrantRevokedError(
                "Google refused the stored grant (revoked or expired).", code="grant_revoked"
            )
        if getattr(exc, "retryable", False):
            return TransientProviderError("Google could not refresh the access token now.")
        return PermanentProviderError("Google refused to refresh the access token.")
    if isinstance(exc, HttpError):
        status = exc.status_code
        reason = _http_error_reason(exc)
        if status == 401:
            return GrantRevokedError("Google no longer accepts this grant.", code="grant_revoked")
        if reason == "quotaExceeded":
            # The project's daily quota, whatever our ledger thought: wait for the reset.
            return QuotaExhaustedError("YouTube's daily quota for this project is spent.")
        if reason == "uploadLimitExceeded":
            return PermanentProviderError(UPLOAD_LIMIT_MESSAGE, code="upload_limit_exceeded")
        if status == 429 or status >= 500 or reason in {*RATE_LIMIT_REASONS, "backendError"}:
            return TransientProviderError(f"YouTube answered {status} ({reason or 'no reason'}).")
        return PermanentProviderError(
            f"YouTube refused the request: {status} ({reason or 'no reason'}).",
            code=reason or "youtube_error",
        )
    if isinstance(exc, NETWORK_ERRORS):
        return TransientProviderError(f"Google did not answer ({type(exc).__name__}).")
    return PermanentProviderError(f"Unexpected Google client failure ({type(exc).__name__}).")
