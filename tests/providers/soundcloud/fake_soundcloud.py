"""A local fake of SoundCloud's OAuth 2.1 server (PKCE, single-use refresh tokens) and API.

Routes: ``POST /oauth/token``, ``GET /me`` and ``POST /tracks`` (``Authorization: OAuth
<access token>``). ``/tracks`` parses the multipart body as it streams in (python-multipart),
hashing the audio part, so a large upload costs no memory here and the test can tell that every
byte arrived once. ``tracks_status`` makes the next uploads answer that status instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from python_multipart.multipart import MultipartParser, parse_options_header

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


_READ = 256 * 1024
ASSET_FIELD = "track[asset_data]"


@dataclass
class ReceivedTrack:
    """One ``POST /tracks`` as the fake parsed it: the text fields and the audio part's facts."""

    account: str | None
    content_length: int
    fields: dict[str, str] = field(default_factory=dict)
    asset_filename: str = ""
    asset_content_type: str = ""
    asset_bytes: int = 0
    asset_sha256: Any = field(default_factory=hashlib.sha256)
    track_id: int = 0


class _TrackForm:
    """python-multipart callbacks that keep the text parts and hash the audio part."""

    def __init__(self, track: ReceivedTrack) -> None:
        self.track = track
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._text = bytearray()

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._headers, self._text = {}, bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode()
        if self._name == ASSET_FIELD:
            self.track.asset_filename = options.get(b"filename", b"").decode()
            self.track.asset_content_type = self._headers.get(b"content-type", b"").decode()

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._name == ASSET_FIELD:
            self.track.asset_bytes += end - start
            self.track.asset_sha256.update(data[start:end])
        else:
            self._text += data[start:end]

    def _part_end(self) -> None:
        if self._name != ASSET_FIELD:
            self.track.fields[self._name] = self._text.decode()


class FakeSoundCloud(FakeOAuthServer):
    token_path = "/oauth/token"
    rotate_refresh_tokens = True

    def __init__(self) -> None:
        super().__init__()
        self.users: dict[str, dict[str, Any]] = {}
        self.tracks: list[ReceivedTrack] = []
        self.tracks_status: int | None = None
        self.route("GET", "/me", self.handle_me)
        self.route("POST", "/tracks", self.handle_tracks, stream=True)

    def add_account(self, account: str, user: dict[str, Any]) -> None:
        self.users[account] = user

    def handle_me(self, request: FakeRequest) -> FakeResponse:
        account = self.account_for_access_token(request.authorization("OAuth"))
        if account is None:
            return FakeResponse(401, {"code": 401, "message": "Unauthorized", "errors": []})
        return FakeResponse(200, self.users[account])

    def handle_tracks(self, request: FakeRequest) -> FakeResponse:
        track = ReceivedTrack(
            account=self.account_for_access_token(request.authorization("OAuth")),
            content_length=int(request.header("content-length") or 0),
        )
        _, options = parse_options_header(request.header("content-type"))
        parser = MultipartParser(options.get(b"boundary", b""), _TrackForm(track).callbacks())
        remaining = track.content_length
        assert request.stream is not None
        while remaining:  # always read the whole body, as a server that answers after it
            data = request.stream.read(min(remaining, _READ))
            if not data:
                raise ConnectionError("the client went away mid-upload")
            remaining -= len(data)
            parser.write(data)
        parser.finalize()
        with self.lock:
            self.tracks.append(track)
            track.track_id = 900_000 + len(self.tracks)
            if self.tracks_status is not None:
                return FakeResponse(self.tracks_status, {"errors": [{"error_message": "no"}]})
        if track.account is None:
            return FakeResponse(401, {"code": 401, "message": "Unauthorized", "errors": []})
        username = self.users[track.account]["username"]
        slug = track.fields.get("track[title]", "").lower().replace(" ", "-")
        return FakeResponse(
            201,
            {
                "kind": "track",
                "id": track.track_id,
                "title": track.fields.get("track[title]"),
                "sharing": track.fields.get("track[sharing]"),
                "permalink_url": f"https://soundcloud.com/{username}/{slug}",
            },
        )


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
