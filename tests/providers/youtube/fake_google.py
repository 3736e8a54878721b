"""A local fake of Google OAuth 2 and the YouTube Data API, for the real client libraries.

Served routes (add more with ``fake_google.route(...)``, e.g. the resumable upload
endpoints ``POST /upload/youtube/v3/videos`` and ``PUT`` on the session URL):

- ``POST /token``: authorization_code (PKCE enforced like Google) and refresh_token grants;
- ``POST /revoke``: revokes the grant behind a refresh or access token, recorded in
  ``revoked_tokens``;
- ``GET /youtube/v3/channels?mine=true``: the account's channel, with a valid access token.

Use the ``fake_google`` fixture: it starts the server and points the gateway's settings at it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.http import FakeRequest, FakeResponse
from tests.fakes.oauth import FakeOAuthServer

CLIENT_ID = "fake-client-id.apps.googleusercontent.com"
CLIENT_SECRET = "fake-client-secret"
REDIRECT_URI = "http://testserver/oauth2/callback/youtube"
AUTH_PATH = "/o/oauth2/v2/auth"


def youtube_channel(
    channel_id: str = "UCfake0000000000000000001",
    *,
    title: str = "Fake Channel",
    subscribers: int = 1200,
    videos: int = 34,
    views: int = 56789,
) -> dict[str, Any]:
    """A ``youtube#channel`` resource with the ``snippet`` and ``statistics`` parts."""
    return {
        "kind": "youtube#channel",
        "etag": "fake-etag",
        "id": channel_id,
        "snippet": {
            "title": title,
            "description": "",
            "customUrl": "@" + title.lower().replace(" ", ""),
            "publishedAt": "2020-01-01T00:00:00Z",
            "thumbnails": {
                "default": {"url": f"https://yt3.example/{channel_id}/88.jpg", "width": 88},
                "medium": {"url": f"https://yt3.example/{channel_id}/240.jpg", "width": 240},
            },
        },
        "statistics": {
            "viewCount": str(views),
            "subscriberCount": str(subscribers),
            "hiddenSubscriberCount": False,
            "videoCount": str(videos),
        },
    }


def google_api_error(status: int, reason: str, message: str, status_text: str) -> FakeResponse:
    return FakeResponse(
        status,
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"message": message, "domain": "global", "reason": reason}],
                "status": status_text,
            }
        },
    )


class FakeGoogle(FakeOAuthServer):
    token_path = "/token"
    refresh_token_needs_offline = True

    def __init__(self) -> None:
        super().__init__()
        #: account (email) -> its YouTube channel resource, or None for no channel
        self.channels: dict[str, dict[str, Any] | None] = {}
        self.route("POST", "/revoke", self.handle_revoke)
        self.route("GET", "/youtube/v3/channels", self.handle_channels_list)

    def add_account(self, email: str, channel: dict[str, Any] | None) -> None:
        self.channels[email] = channel

    def handle_revoke(self, request: FakeRequest) -> FakeResponse:
        token = request.form().get("token") or request.query.get("token", "")
        with self.lock:
            for grant in self.grants:
                if token and (token == grant.refresh_token or token in grant.access_tokens):
                    grant.revoked = True
                    self.revoked_tokens.append(token)
                    return FakeResponse(200, {})
        return self.oauth_error("invalid_token", "Token expired or revoked")

    def handle_channels_list(self, request: FakeRequest) -> FakeResponse:
        account = self.account_for_access_token(request.authorization("Bearer"))
        if account is None:
            return google_api_error(
                401,
                "authError",
                "Request had invalid authentication credentials.",
                "UNAUTHENTICATED",
            )
        if request.query.get("mine") != "true":
            return google_api_error(400, "missingRequiredParameter", "No filter.", "BAD_REQUEST")
        parts = set(request.query.get("part", "").split(","))
        channel = self.channels.get(account)
        items = []
        if channel is not None:
            items.append({k: v for k, v in channel.items() if k in {"kind", "etag", "id", *parts}})
        return FakeResponse(
            200,
            {
                "kind": "youtube#channelListResponse",
                "etag": "fake-list-etag",
                "pageInfo": {"totalResults": len(items), "resultsPerPage": 5},
                "items": items,
            },
        )


@pytest.fixture
def fake_google(settings, monkeypatch) -> Iterator[FakeGoogle]:
    """A started FakeGoogle with our OAuth client registered and the settings pointing at it."""
    fake = FakeGoogle().start()
    fake.register_client(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
    settings.YOUTUBE_CLIENT_ID = CLIENT_ID
    settings.YOUTUBE_CLIENT_SECRET = CLIENT_SECRET
    settings.YOUTUBE_REDIRECT_URI = REDIRECT_URI
    settings.GOOGLE_OAUTH_AUTH_URL = fake.base_url + AUTH_PATH
    settings.GOOGLE_OAUTH_TOKEN_URL = fake.base_url + "/token"
    settings.GOOGLE_OAUTH_REVOKE_URL = fake.base_url + "/revoke"
    settings.YOUTUBE_API_URL = fake.base_url
    settings.PROVIDER_HTTP_TIMEOUT = 5
    settings.YOUTUBE_HTTP_TIMEOUT = 5
    # oauthlib insists on https; the fake speaks plain HTTP on loopback.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    try:
        yield fake
    finally:
        fake.stop()
