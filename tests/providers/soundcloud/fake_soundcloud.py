"""A local fake of SoundCloud's OAuth 2.1 server (PKCE, single-use refresh tokens) and API.

Routes: ``POST /oauth/token`` and ``GET /me`` (``Authorization: OAuth <access token>``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.http import FakeRequest, FakeResponse
from tests.fakes.oauth import FakeOAuthServer

CLIENT_ID = "fake-soundcloud-client"
CLIENT_SECRET = "fake-soundcloud-secret"
REDIRECT_URI = "http://testserver/oauth2/callback/soundcloud"


def soundcloud_user(user_id: int = 4242, username: str = "fake-artist") -> dict[str, Any]:
    return {
        "id": user_id,
        "kind": "user",
        "urn": f"soundcloud:users:{user_id}",
        "username": username,
        "full_name": "Fake Artist",
        "permalink_url": f"https://soundcloud.com/{username}",
        "avatar_url": f"https://i1.sndcdn.example/avatars-{user_id}-large.jpg",
        "followers_count": 321,
        "track_count": 12,
    }


class FakeSoundCloud(FakeOAuthServer):
    token_path = "/oauth/token"
    rotate_refresh_tokens = True

    def __init__(self) -> None:
        super().__init__()
        self.users: dict[str, dict[str, Any]] = {}
        self.route("GET", "/me", self.handle_me)

    def add_account(self, account: str, user: dict[str, Any]) -> None:
        self.users[account] = user

    def handle_me(self, request: FakeRequest) -> FakeResponse:
        account = self.account_for_access_token(request.authorization("OAuth"))
        if account is None:
            return FakeResponse(401, {"code": 401, "message": "Unauthorized", "errors": []})
        return FakeResponse(200, self.users[account])


@pytest.fixture
def fake_soundcloud(settings, monkeypatch) -> Iterator[FakeSoundCloud]:
    fake = FakeSoundCloud().start()
    fake.register_client(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
    settings.SOUNDCLOUD_CLIENT_ID = CLIENT_ID
    settings.SOUNDCLOUD_CLIENT_SECRET = CLIENT_SECRET
    settings.SOUNDCLOUD_REDIRECT_URI = REDIRECT_URI
    settings.SOUNDCLOUD_AUTH_URL = fake.base_url + "/authorize"
    settings.SOUNDCLOUD_TOKEN_URL = fake.base_url + "/oauth/token"
    settings.SOUNDCLOUD_API_URL = fake.base_url
    settings.PROVIDER_HTTP_TIMEOUT = 5
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    try:
        yield fake
    finally:
        fake.stop()
