"""SoundCloud: OAuth 2.1 (authorization code + PKCE S256) and the public HTTP API.

SoundCloud's refresh tokens are single-use: every refresh returns a new one, which the caller
must store (``AccountSnapshot.refresh_token``, or ``PublishRequest.on_grant_rotated`` during an
upload) before the old one is forgotten. API calls carry ``Authorization: OAuth <access
token>``. SoundCloud documents no token revocation endpoint, so disconnecting only erases the
grant on our side. Uploads: ``providers.soundcloud.upload``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from django.conf import settings
from oauthlib.oauth2 import InvalidGrantError, OAuth2Error
from requests_oauthlib import OAuth2Session

from providers.base import (
    AccountSnapshot,
    ApiCallCallback,
    OAuthProvider,
    ProgressCallback,
    PublishRequest,
    PublishResult,
    SessionCallback,
)
from providers.errors import (
    GrantRevokedError,
    PermanentProviderError,
    ProviderError,
    TransientProviderError,
)
from providers.oauth import code_challenge
from providers.platforms import Platform
from providers.soundcloud.upload import upload_track


def snapshot_from_me(me: dict[str, Any], *, refresh_token: str | None) -> AccountSnapshot:
    meta = {
        "username": me.get("username", ""),
        "permalink_url": me.get("permalink_url", ""),
        "avatar_url": me.get("avatar_url", ""),
        "followers_count": me.get("followers_count"),
        "track_count": me.get("track_count"),
    }
    return AccountSnapshot(
        provider_channel_id=str(me["id"]),
        display_name=me.get("full_name") or me.get("username", ""),
        meta=meta,
        refresh_token=refresh_token,
    )


def _unavailable_is_transient(response: requests.Response) -> requests.Response:
    """A token endpoint that is down (429, 5xx) refused nothing: worth retrying, and the
    grant stays as it is. oauthlib would read such an answer as a malformed token instead."""
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientProviderError(
            f"SoundCloud's token endpoint answered {response.status_code}."
        )
    return response


class SoundCloudProvider(OAuthProvider):
    platform = Platform.SOUNDCLOUD
    description = (
        "Gateway uploads your audio as a public track to your SoundCloud account through "
        "SoundCloud's API (OAuth 2.1)."
    )
    uploads = True
    media_types = ("audio",)
    title_max_length = 100

    def is_configured(self) -> bool:
        return bool(settings.SOUNDCLOUD_CLIENT_ID and settings.SOUNDCLOUD_CLIENT_SECRET)

    def _session(self, *, state: str | None = None) -> OAuth2Session:
        session = OAuth2Session(
            settings.SOUNDCLOUD_CLIENT_ID,
            redirect_uri=settings.SOUNDCLOUD_REDIRECT_URI,
            state=state,
        )
        for hook in ("access_token_response", "refresh_token_response"):
            session.register_compliance_hook(hook, _unavailable_is_transient)
        return session

    def authorization_url(self, *, state: str, code_verifier: str) -> str:
        url, _ = self._session(state=state).authorization_url(
            settings.SOUNDCLOUD_AUTH_URL,
            code_challenge=code_challenge(code_verifier),
            code_challenge_method="S256",
        )
        return url

    @contextmanager
    def _token_errors(self) -> Iterator[None]:
        """Translate the token endpoint's refusals and silences into ProviderErrors."""
        try:
            yield
        except InvalidGrantError as exc:
            raise GrantRevokedError(
                "SoundCloud refused the grant (revoked, expired or already used).",
                code="invalid_grant",
            ) from exc
        except OAuth2Error as exc:
            raise PermanentProviderError(
                f"SoundCloud refused the token request ({exc.error}).", code="oauth_error"
            ) from exc
        except requests.RequestException as exc:
            raise TransientProviderError("SoundCloud's token endpoint did not answer.") from exc

    def exchange_code(self, *, code: str, code_verifier: str) -> AccountSnapshot:
        try:
            with self._token_errors():
                token = self._session().fetch_token(
                    settings.SOUNDCLOUD_TOKEN_URL,
                    code=code,
                    code_verifier=code_verifier,
                    client_secret=settings.SOUNDCLOUD_CLIENT_SECRET,
                    include_client_id=True,
                    timeout=settings.PROVIDER_HTTP_TIMEOUT,
                )
        except GrantRevokedError as exc:
            # At the code exchange invalid_grant means a bad code, not a revoked channel.
            raise PermanentProviderError(exc.message, code="invalid_grant") from exc
        if not token.get("refresh_token"):
            raise PermanentProviderError(
                "SoundCloud issued no refresh token.", code="no_refresh_token"
            )
        return snapshot_from_me(
            self._me(token["access_token"]), refresh_token=token["refresh_token"]
        )

    def _refresh(self, refresh_token: str) -> dict[str, Any]:
        """Trade the (single-use) refresh token for an access token and a new refresh token.

        A refusal raises before SoundCloud issued anything: the stored token stays as it is.
        Only ``invalid_grant`` is a ``GrantRevokedError`` (the channel needs re-authorisation).
        """
        with self._token_errors():
            token = self._session().refresh_token(
                settings.SOUNDCLOUD_TOKEN_URL,
                refresh_token=refresh_token,
                client_id=settings.SOUNDCLOUD_CLIENT_ID,
                client_secret=settings.SOUNDCLOUD_CLIENT_SECRET,
                timeout=settings.PROVIDER_HTTP_TIMEOUT,
            )
        if not token.get("access_token"):
            raise PermanentProviderError("SoundCloud issued no access token.", code="bad_response")
        return dict(token)

    def fetch_account(
        self, *, refresh_token: str, before_call: ApiCallCallback | None = None
    ) -> AccountSnapshot:
        # No shared daily quota is kept for SoundCloud (``api_costs`` is empty).
        token = self._refresh(refresh_token)
        rotated = token.get("refresh_token")
        try:
            return snapshot_from_me(self._me(token["access_token"]), refresh_token=rotated)
        except ProviderError as exc:
            exc.rotated_refresh_token = rotated  # the old token is spent now
            raise

    def publish(
        self,
        request: PublishRequest,
        *,
        on_progress: ProgressCallback,
        on_session: SessionCallback,
    ) -> PublishResult:
        token = self._refresh(request.refresh_token)
        rotated = token.get("refresh_token")
        if rotated:
            # First: the old refresh token is spent, a failure below must not lose the new one.
            request.on_grant_rotated(rotated)
        return upload_track(request, access_token=token["access_token"], on_progress=on_progress)

    def _me(self, access_token: str) -> dict[str, Any]:
        try:
            response = requests.get(
                f"{settings.SOUNDCLOUD_API_URL.rstrip('/')}/me",
                headers={"Authorization": f"OAuth {access_token}", "Accept": "application/json"},
                timeout=settings.PROVIDER_HTTP_TIMEOUT,
            )
        except requests.RequestException as exc:
            raise TransientProviderError("SoundCloud's API did not answer.") from exc
        if response.status_code == 401:
            raise GrantRevokedError("SoundCloud no longer accepts this grant.")
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientProviderError(f"SoundCloud answered {response.status_code}.")
        if response.status_code != 200:
            raise PermanentProviderError(
                f"SoundCloud refused to read the profile ({response.status_code}).",
            )
        try:
            me = response.json()
        except ValueError as exc:
            raise PermanentProviderError(
                "SoundCloud's profile was not JSON.", code="bad_response"
            ) from exc
        if not isinstance(me, dict) or "id" not in me:
            raise PermanentProviderError("SoundCloud's profile has no id.", code="bad_response")
        return me
