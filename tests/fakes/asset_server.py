"""A loopback file server with byte ranges, standing in for a creator's asset host.

``GET /asset`` serves the file given at start-up (``Range: bytes=N-`` answered 206, like a CDN);
``GET /redirect?to=URL`` answers 302 to ``URL``. Every request is counted.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

_RANGE = re.compile(r"bytes=(\d+)-$")


class QuietHTTPServer(ThreadingHTTPServer):
    """Threads that never block shutdown, and no traceback when a client hangs up."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


def write_random_file(path: Path, size: int, *, block: int = 1024 * 1024) -> str:
    """Write ``size`` random bytes to ``path`` without holding them in memory; return sha256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        remaining = size
        while remaining:
            data = os.urandom(min(block, remaining))
            digest.update(data)
            out.write(data)
            remaining -= len(data)
    return digest.hexdigest()


class AssetServer:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.requests: list[tuple[str, str]] = []  # (path, Range header)
        self._server: QuietHTTPServer | None = None

    def start(self) -> AssetServer:
        fake = self

        class Handler(_Handler):
            asset = fake

        self._server = QuietHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> AssetServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def host(self) -> str:
        assert self._server is not None
        return f"127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"http://{self.host}/asset"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    asset: AssetServer

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.asset.requests.append((parts.path, self.headers.get("Range", "")))
        if parts.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", parse_qs(parts.query)["to"][0])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if parts.path != "/asset" or self.asset.path is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        size = self.asset.path.stat().st_size
        match = _RANGE.fullmatch(self.headers.get("Range", ""))
        start = int(match.group(1)) if match else 0
        self.send_response(206 if match else 200)
        if match:
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(size - start))
        self.end_headers()
        with self.asset.path.open("rb") as source:
            source.seek(start)
            # The reader may stop early (it seeks elsewhere, or was killed).
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                shutil.copyfileobj(source, self.wfile, 1024 * 1024)
