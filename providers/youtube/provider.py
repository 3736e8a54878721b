"""YouTube: Google OAuth 2 (web server flow with PKCE) and the YouTube Data API v3."""

from __future__ import annotations

import logging
from typing import Any, Self

import requests
from django.conf import settings
from google.auth import exceptions as auth_exceptions
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow
from googleapiclient.errors import HttpError
from oauthlib.oauth2 import OAuth2Error

from providers.base import (
    AccountSnapshot,
    ApiCallCallback,
    ApiCost,
    OAuthClientConfig,
    OAuthProvider,
    ProgressCallback,
    PublishRequest,
    PublishResult,
    SessionCallback,
)
from providers.errors import PermanentProviderError, TransientProviderError
from providers.platforms import Platform
from providers.youtube.client import SCOPES, build_youtube, shared_client, youtube_credentials
from providers.youtube.errors import NETWORK_ERRORS, translate_google_error
from providers.youtube.upload import upload_video

logger = logging.getLogger(__name__)


def _count(statistics: dict[str, Any], name: str) -> int | None:
    value = statistics.get(name)
    return int(value) if value is not None else None


def snapshot_from_channel(resource: dict[str, Any]) -> AccountSnapshot:
    """The account facts kept in ``Channel.meta`` from a ``youtube#channel`` resource."""
    snippet = resource.get("snippet", {})
    statistics = resource.get("statistics", {})
    thumbnails = snippet.get("thumbnails", {})
    thumbnail = thumbnails.get("medium") or thumbnails.get("default") or {}
    hidden = statistics.get("hiddenSubscriberCount", False)
    meta = {
        "title": snippet.get("title", ""),
        "custom_url": snippet.get("customUrl", ""),
        "thumbnail_url": thumbnail.get("url", ""),
        "url": f"https://www.youtube.com/channel/{resource['id']}",
        "subscriber_count": None if hidden else _count(statistics, "subscriberCount"),
        "video_count": _count(statistics, "videoCount"),
        "view_count": _count(statistics, "viewCount"),
    }
    return AccountSnapshot(
        provider_channel_id=resource["id"], display_name=meta["title"], meta=meta
    )


class YouTubeProvider(OAuthProvider):
    platform = Platform.YOUTUBE
    description = (
        "Gateway uploads your video to your channel through the YouTube Data API; a scheduled "
        "one is uploaded private and YouTube publishes it at the chosen time."
    )
    uploads = True
    schedules_natively = True  # private with publishAt
    media_types = ("video",)
    title_max_length = 100
    description_max_length = 5000
    supports_revocation = True
    # YouTube's "Quota costs" page: videos.insert has a daily bucket of its own.
    api_costs = {"channels.list": ApiCost(units=1), "videos.insert": ApiCost(uploads=1)}
    accepts_own_client = True  # a creator's own Google Cloud project, with its own quota

    def __init__(self, client: OAuthClientConfig | None = None) -> None:
        self._own_client = client

    def with_client(self, client: OAuthClientConfig) -> Self:
        return type(self)(client)

    @property
    def client(self) -> OAuthClientConfig:
        """The Google client this instance acts as: its own, else the server's (read from the
        settings on each use)."""
        return self._own_client or shared_client()

    def is_configured(self) -> bool:
        client = self.client
        return bool(client.client_id and client.client_secret)

    def _flow(self, code_verifier: str) -> Flow:
        client = self.client
        client_config = {
            "web": {
                "client_id": client.client_id,
                "client_secret": client.client_secret,
                "auth_uri": settings.GOOGLE_OAUTH_AUTH_URL,
                "token_uri": settings.GOOGLE_OAUTH_TOKEN_URL,
                "redirect_uris": [settings.YOUTUBE_REDIRECT_URI],
            }
        }
        return Flow.from_client_config(
            client_config,
            scopes=list(SCOPES),
            redirect_uri=settings.YOUTUBE_REDIRECT_URI,
            code_verifier=code_verifier,
            autogenerate_code_verifier=False,
        )

    def authorization_url(self, *, state: str, code_verifier: str) -> str:
        # offline + consent: Google returns a refresh token on every consent, also when the
        # user had granted this client before (re-authorising a NEEDS_REAUTH channel).
        url, _ = self._flow(code_verifier).authorization_url(
            state=state, access_type="offline", prompt="consent"
        )
        return url

    def exchange_code(self, *, code: str, code_verifier: str) -> AccountSnapshot:
        flow = self._flow(code_verifier)
        try:
            flow.fetch_token(code=code, timeout=settings.PROVIDER_HTTP_TIMEOUT)
        except OAuth2Error as exc:
            # invalid_grant here: unknown, used or expired code, or a PKCE mismatch.
            raise PermanentProviderError(
                f"Google refused the authorization code ({exc.error}).", code="invalid_grant"
            ) from exc
        except requests.RequestException as exc:
            raise TransientProviderError("Google's token endpoint did not answer.") from exc
        except Warning as exc:
            # oauthlib raises a bare Warning when the granted scopes differ from the requested
            # ones: with granular consent the user unticked a permission the gateway needs.
            raise PermanentProviderError(
                "The YouTube permissions were not all granted.", code="scope_not_granted"
            ) from exc
        credentials = flow.credentials
        if not credentials.refresh_token:
            raise PermanentProviderError(
                "Google issued no refresh token for offline access.", code="no_refresh_token"
            )
        snapshot = self._read_channel(credentials)
        return AccountSnapshot(
            provider_channel_id=snapshot.provider_channel_id,
            display_name=snapshot.display_name,
            meta=snapshot.meta,
            refresh_token=credentials.refresh_token,
        )

    def fetch_account(
        self, *, refresh_token: str, before_call: ApiCallCallback | None = None
    ) -> AccountSnapshot:
        return self._read_channel(
            youtube_credentials(refresh_token, self.client), before_call=before_call
        )

    def _read_channel(
        self, credentials: Credentials, *, before_call: ApiCallCallback | None = None
    ) -> AccountSnapshot:
        youtube = build_youtube(credentials)
        if before_call is not None:
            before_call("channels.list")
        try:
            response = youtube.channels().list(part="snippet,statistics", mine=True).execute()
        except (auth_exceptions.GoogleAuthError, HttpError, *NETWORK_ERRORS) as exc:
            raise translate_google_error(exc) from exc
        items = response.get("items") or []
        if not items:
            raise PermanentProviderError(
                "This Google account has no YouTube channel.", code="no_channel"
            )
        return snapshot_from_channel(items[0])

    def revoke(self, *, refresh_token: str) -> bool:
        try:
            response = requests.post(
                settings.GOOGLE_OAUTH_REVOKE_URL,
                data={"token": refresh_token},
                timeout=settings.PROVIDER_HTTP_TIMEOUT,
            )
        except requests.RequestException as exc:
            logger.warning("youtube: revocation failed: %s", type(exc).__name__)
            return False
        if response.status_code != 200:
            logger.warning("youtube: revocation refused with HTTP %s", response.status_code)
            return False
        return True

    def publish(
        self,
        request: PublishRequest,
        *,
        on_progress: ProgressCallback,
        on_session: SessionCallback,
    ) -> PublishResult:
        return upload_video(
            request, client=self.client, on_progress=on_progress, on_session=on_session
        )
