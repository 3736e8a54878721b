"""The loopback servers the benchmark starts before the service, whose addresses go into its
environment: a generated asset host, the fake YouTube and SoundCloud of the tests, and a sink
for the plain copy that is the streaming ceiling. They run in the orchestrator's threads."""

from __future__ import annotations

import hashlib
import os
import re
from http.server import BaseHTTPRequestHandler

from tests.fakes.loopback import LoopbackServer
from tests.providers.soundcloud.fake_soundcloud import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    FakeSoundCloud,
    soundcloud_user,
)
from tests.providers.youtube.fake_upload import FakeYouTubeUpload

BLOCK = os.urandom(1024 * 1024)
_RANGE = re.compile(r"bytes=(\d+)-$")
_SIZE = re.compile(r"/(\d+)/")
_READ = 1024 * 1024
SOUNDCLOUD_ACCOUNT = "bench-artist"


class _AssetHandler(BaseHTTPRequestHandler):
    """``GET /<size>/<name>``: ``size`` bytes (a 1 MiB random block repeated, never stored),
    with ``Range: bytes=N-`` answered 206 like a CDN."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        size = int(_SIZE.match(self.path).group(1))  # type: ignore[union-attr]
        match = _RANGE.fullmatch(self.headers.get("Range", ""))
        start = int(match.group(1)) if match else 0
        self.send_response(206 if match else 200)
        if match:
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        self.send_header("Content-Length", str(size - start))
        self.end_headers()
        position = start
        try:
            while position < size:
                offset = position % len(BLOCK)
                piece = BLOCK[offset : offset + min(len(BLOCK) - offset, size - position)]
                self.wfile.write(piece)
                position += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass


class AssetServer(LoopbackServer):
    handler_class = _AssetHandler

    def url(self, size: int, name: str) -> str:
        return f"http://{self.host}/{size}/{name}"


class _SinkHandler(BaseHTTPRequestHandler):
    """``PUT``: reads and hashes the body as the fakes do, answers the digest."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_PUT(self) -> None:
        remaining = int(self.headers["Content-Length"])
        digest = hashlib.sha256()
        while remaining:
            data = self.rfile.read(min(remaining, _READ))
            if not data:
                return
            digest.update(data)
            remaining -= len(data)
        body = digest.hexdigest().encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Sink(LoopbackServer):
    handler_class = _SinkHandler


class Fakes:
    """Every loopback server, and the settings that point the service at them."""

    def __init__(self) -> None:
        self.assets = AssetServer()
        self.sink = Sink()
        self.youtube = FakeYouTubeUpload()
        self.soundcloud = FakeSoundCloud()

    def start(self) -> Fakes:
        for server in (self.assets, self.sink, self.youtube, self.soundcloud):
            server.start()
        self.soundcloud.register_client(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
        self.soundcloud.add_account(SOUNDCLOUD_ACCOUNT, soundcloud_user())
        return self

    def stop(self) -> None:
        for server in (self.assets, self.sink, self.youtube, self.soundcloud):
            server.stop()

    def soundcloud_grant(self) -> str:
        return self.soundcloud.issue_grant(account=SOUNDCLOUD_ACCOUNT, client_id=CLIENT_ID)

    def env(self) -> dict[str, str]:
        soundcloud = self.soundcloud.base_url
        return {
            "OUTBOUND_ALLOWED_HOSTS": self.assets.host,
            "YOUTUBE_API_URL": self.youtube.url,
            "GOOGLE_OAUTH_TOKEN_URL": f"{self.youtube.url}/token",
            "YOUTUBE_CLIENT_ID": "bench",
            "YOUTUBE_CLIENT_SECRET": "bench",
            "SOUNDCLOUD_CLIENT_ID": CLIENT_ID,
            "SOUNDCLOUD_CLIENT_SECRET": CLIENT_SECRET,
            "SOUNDCLOUD_REDIRECT_URI": REDIRECT_URI,
            "SOUNDCLOUD_AUTH_URL": f"{soundcloud}/authorize",
            "SOUNDCLOUD_TOKEN_URL": f"{soundcloud}/oauth/token",
            "SOUNDCLOUD_API_URL": soundcloud,
            "OAUTHLIB_INSECURE_TRANSPORT": "1",
        }
