"""What a provider raises when a platform call fails. The upload pipeline decides on retries."""

from __future__ import annotations


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


class PermanentProviderError(ProviderError):
    """Retrying will not help: the platform refused the request (4xx)."""


class GrantRevokedError(PermanentProviderError):
    """The user's OAuth grant is revoked or expired; the channel needs re-authorisation."""
