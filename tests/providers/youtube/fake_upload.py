"""A fake of YouTube's resumable upload endpoint (and a token endpoint), on 127.0.0.1.

It speaks the protocol google-api-python-client uses (see DEPENDENCY-NOTES):

- ``POST /upload/youtube/v3/videos?uploadType=resumable`` with the video resource as JSON and
  ``X-Upload-Content-Length``: 200 with a ``Location`` naming the session;
- ``PUT <session>`` with ``Content-Range: bytes a-b/total``: 308 with ``Range: bytes=0-N``
  while incomplete, 200 with the ``youtube#video`` resource once every byte arrived;
- ``PUT <session>`` with ``Content-Range: bytes */total`` and no body: the status query.

Bodies are hashed as they stream in, so a 1 GiB upload costs no memory here. Failures can be
injected: a status for the initiation (401, 400, or 403 with a reason such as
``quotaExceeded``) or for the n-th chunk PUT (503 mid-upload,
whose bytes are then discarded like a real server would), and a delay per chunk (a chunk
resent meanwhile by a client that gave up waiting is kept once).
``POST /token`` answers a refresh-token grant, standing in for Google's token endpoint.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.fakes.loopback import LoopbackServer
from tests.providers.youtube import CHUNK

_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")
_READ = 1024 * 1024


@dataclass
class Session:
    id: str
    metadata: dict
    total: int
    stored: int = 0
    sha256: hashlib._Hash = field(default_factory=hashlib.sha256)
    video_id: str = ""


@dataclass
class ChunkPut:
    session: str
    start: int
    length: int
    status: int


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeYouTubeUpload

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: dict | None = None, headers: dict | None = None) -> None:
        payload = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _error(self, status: int, reason: str) -> None:
        message = {"code": status, "message": reason, "errors": [{"reason": reason}]}
        self._send(status, {"error": message})

    def _body_chunks(self):
        remaining = int(self.headers.get("Content-Length") or 0)
        while remaining:
            data = self.rfile.read(min(remaining, _READ))
            if not data:
                raise ConnectionError("client went away")
            remaining -= len(data)
            yield data

    # -- token endpoint and initiation ------------------------------------------------------
    def do_POST(self) -> None:
        fake = self.fake
        parts = urlsplit(self.path)
        body = b"".join(self._body_chunks())
        if parts.path == "/token":
            with fake.lock:
                fake.token_requests += 1
                fake.token_client_ids += parse_qs(body.decode()).get("client_id", [])
            self._send(
                200, {"access_token": "fake-access", "expires_in": 3600, "token_type": "Bearer"}
            )
            return
        if parts.path != "/upload/youtube/v3/videos":
            self._error(404, "notFound")
            return
        if self.headers.get("Authorization") != "Bearer fake-access":
            self._error(401, "authError")
            return
        with fake.lock:
            fake.initiations.append(json.loads(body or b"{}"))
            status = fake.initiation_status
            reason = fake.initiation_reason
        if status is not None:
            default = "uploadLimitExceeded" if status == 400 else "authError"
            self._error(status, reason or default)
            return
        session = Session(
            id=uuid.uuid4().hex,
            metadata=json.loads(body or b"{}"),
            total=int(self.headers.get("X-Upload-Content-Length") or 0),
        )
        with fake.lock:
            fake.sessions[session.id] = session
        location = (
            f"{fake.url}/upload/youtube/v3/videos?uploadType=resumable&upload_id={session.id}"
        )
        self._send(200, None, {"Location": location})

    # -- chunks and status queries ------------------------------------------------------------
    def _resource(self, session: Session) -> dict:
        return {
            "kind": "youtube#video",
            "id": session.video_id,
            "snippet": session.metadata.get("snippet", {}),
            "status": {"uploadStatus": "uploaded", **session.metadata.get("status", {})},
        }

    def _progress(self, session: Session) -> None:
        if session.stored and session.stored == session.total:
            if not session.video_id:
                session.video_id = f"vid{session.id[:8]}"
            self._send(200, self._resource(session))
        elif session.stored:
            self._send(308, None, {"Range": f"bytes=0-{session.stored - 1}"})
        else:
            self._send(308)

    def do_PUT(self) -> None:
        fake = self.fake
        upload_id = parse_qs(urlsplit(self.path).query).get("upload_id", [""])[0]
        session = fake.sessions.get(upload_id)
        if session is None:
            self._error(404, "notFound")
            return
        content_range = self.headers.get("Content-Range", "")
        if content_range.startswith("bytes */"):
            with fake.lock:
                fake.status_queries += 1
            self._progress(session)
            return
        match = _RANGE.fullmatch(content_range)
        if not match:
            self._error(400, "badContentRange")
            return
        start = int(match.group(1))
        with fake.lock:
            index = fake._chunk_index
            fake._chunk_index += 1
            failure = fake.chunk_failures.get(index)
        if start != session.stored:
            self._error(400, "wrongOffset")
            return
        digest = session.sha256.copy()
        length = 0
        try:
            for data in self._body_chunks():
                digest.update(data)
                length += len(data)
                with fake.lock:
                    fake.bytes_received += len(data)
        except ConnectionError:
            return  # the client died mid-chunk: nothing of it is kept
        if fake.chunk_delay:
            time.sleep(fake.chunk_delay)
        with fake.lock:
            fake.puts.append(ChunkPut(upload_id, start, length, failure or 0))
        if failure is not None:
            self._error(failure, "backendError")
            return
        with fake.lock:
            # Committed only if no other PUT of the same range was committed meanwhile (a
            # client that timed out while this one was delayed resends it), as YouTube keeps
            # a range once: the later copy is dropped and the answer tells the true offset.
            if start == session.stored:
                session.sha256 = digest
                session.stored += length
        self._progress(session)


class FakeYouTubeUpload(LoopbackServer):
    """Start with :meth:`start`, stop with :meth:`stop` (or use as a context manager)."""

    handler_class = _Handler

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sessions: dict[str, Session] = {}
        self.initiations: list[dict] = []
        self.puts: list[ChunkPut] = []
        self.status_queries = 0
        self.token_requests = 0
        self.token_client_ids: list[str] = []  # the client each token request named
        self.bytes_received = 0  # every body byte that reached the server, kept or not
        self.initiation_status: int | None = None
        self.initiation_reason = ""  # the error reason with it (default: by status)
        self.chunk_failures: dict[int, int] = {}  # index of the chunk PUT (0-based) -> status
        self.chunk_delay = 0.0
        self._chunk_index = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def session_uri(self, session_id: str) -> str:
        return f"{self.url}/upload/youtube/v3/videos?uploadType=resumable&upload_id={session_id}"

    # -- what tests look at ------------------------------------------------------------------
    @property
    def session(self) -> Session:
        (only,) = self.sessions.values()
        return only

    def stored_bytes(self) -> int:
        return sum(session.stored for session in self.sessions.values())


@pytest.fixture
def fake_youtube(settings) -> Iterator[FakeYouTubeUpload]:
    """A running fake YouTube (upload and token endpoints) that the settings point at."""
    with FakeYouTubeUpload() as fake:
        settings.YOUTUBE_API_URL = fake.url
        settings.GOOGLE_OAUTH_TOKEN_URL = f"{fake.url}/token"
        settings.YOUTUBE_CLIENT_ID = "fake-client-id"
        settings.YOUTUBE_CLIENT_SECRET = "fake-client-secret"
        settings.UPLOAD_CHUNK_SIZE = CHUNK
        settings.UPLOAD_RETRY_BASE_DELAY = 0.05
        yield fake
