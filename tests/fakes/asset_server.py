"""A loopback file server with byte ranges, standing in for a creator's asset host.

``GET /asset`` serves the file given at start-up (``Range: bytes=N-`` answered 206, like a CDN),
optionally pausing once in the middle (``stall_at``);
``GET /redirect?to=URL`` answers 302 to ``URL``; ``GET /status/N`` answers status N.
Every request is counted.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.fakes.loopback import LoopbackServer

_RANGE = re.compile(r"bytes=(\d+)-$")


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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: AssetServer

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.fake.requests.append((parts.path, self.headers.get("Range", "")))
        if parts.path.startswith("/status/"):
            self.send_response(int(parts.path.rsplit("/", 1)[1]))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if parts.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", parse_qs(parts.query)["to"][0])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if parts.path != "/asset" or self.fake.path is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        size = self.fake.path.stat().st_size
        match = _RANGE.fullmatch(self.headers.get("Range", "")) if self.fake.ranges else None
        start = int(match.group(1)) if match else 0
        self.send_response(206 if match else 200)
        if match:
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(size - start))
        self.end_headers()
        with self.fake.path.open("rb") as source:
            source.seek(start)
            # The reader may stop early (it seeks elsewhere, or was killed).
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                stall_at = self.fake.stall_at
                if stall_at is not None and start <= stall_at < size:
                    self.fake.stall_at = None  # once
                    self.wfile.write(source.read(stall_at - start))
                    self.wfile.flush()
                    self.fake.stalled.set()
                    time.sleep(self.fake.stall_for)
                shutil.copyfileobj(source, self.wfile, 1024 * 1024)


class AssetServer(LoopbackServer):
    handler_class = _Handler

    def __init__(self, path: Path | None = None, *, ranges: bool = True) -> None:
        self.path = path
        self.ranges = ranges  # False: a host that ignores Range and always sends everything
        self.requests: list[tuple[str, str]] = []  # (path, Range header)
        # A slow host: the response that reaches byte ``stall_at`` pauses there ``stall_for``
        # seconds, once; ``stalled`` is set when the pause begins.
        self.stall_at: int | None = None
        self.stall_for = 0.0
        self.stalled = threading.Event()

    @property
    def url(self) -> str:
        return f"http://{self.host}/asset"
