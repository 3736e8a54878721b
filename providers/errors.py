"""What a provider raises when a platform call fails. The upload pipeline decides on retries."""

from __future__ import annotations

from datetime import datetime


class ProviderError(Exception):
    """A platform call failed. ``code`` is stable and safe to show; ``message`` is human."""

    def __init__(self, message: str, *, code: str = "provider_error"):
        super().__init__(message)
        self.message = message
        self.code = code
        # Set when the platform already rotated a single-use refresh token before the failure:
        # the caller must store it, or the grant is lost with the old, spent token.
        self.rotated_refresh_token: str | None = None


class TransientProviderError(ProviderError):
    """Worth retrying later: timeouts, connection resets, HTTP 429 and 5xx."""


class QuotaExhaustedError(TransientProviderError):
    """The platform's daily quota for this deployment's project is spent: wait for ``until``
    (the platform's reset; ``None`` when the platform did not say, for the caller to work out).

    Raised by the caller's ``before_call`` when its ledger has no budget left, and by a
    provider when the platform answers that the quota is exceeded anyway.
    """

    def __init__(self, message: str, *, until: datetime | None = None):
        super().__init__(message, code="platform_quota")
        self.until = until


class PermanentProviderError(ProviderError):
    """Retrying will not help: the platform refused the request (4xx)."""


class GrantRevokedError(PermanentProviderError):
    """The user's OAuth grant is revoked or expired; the channel needs re-authorisation."""
