"""A tiny loopback HTTP server with a route table, the base of every fake platform.

A fake is a :class:`FakeHTTPServer` subclass that registers handlers with :meth:`route`
(exact paths, or prefixes for paths with ids in them). Handlers take a :class:`FakeRequest`
and return a :class:`FakeResponse`; every request is recorded in ``requests`` for assertions.
A route registered with ``stream=True`` gets the body unread as ``request.stream`` (exactly
``Content-Length`` bytes), so a fake can take a large upload without holding it in memory.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, BinaryIO
from urllib.parse import parse_qsl, urlsplit


@dataclass
class FakeRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    stream: BinaryIO | None = None
    """The unread body, for routes registered with ``stream=True`` (``body`` is then empty)."""

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def authorization(self, scheme: str) -> str | None:
        """The credential after ``scheme`` in the Authorization header (``Bearer``, ``OAuth``)."""
        value = self.header("authorization")
        prefix = f"{scheme} "
        return value[len(prefix) :] if value.startswith(prefix) else None

    def basic_auth(self) -> tuple[str, str] | None:
        encoded = self.authorization("Basic")
        if encoded is None:
            return None
        user, _, password = base64.b64decode(encoded).decode().partition(":")
        return user, password


@dataclass
class FakeResponse:
    status: int = 200
    body: bytes | str | dict | list = b""
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if isinstance(self.body, dict | list):
            headers.setdefault("Content-Type", "application/json; charset=UTF-8")
            return json.dumps(self.body).encode(), headers
        if isinstance(self.body, str):
            headers.setdefault("Content-Type", "text/plain; charset=UTF-8")
            return self.body.encode(), headers
        return self.body, headers


Handler = Callable[[FakeRequest], FakeResponse]


class FakeHTTPServer:
    """Serve registered routes on 127.0.0.1 in a background thread."""

    def __init__(self) -> None:
        self._exact: dict[tuple[str, str], Handler] = {}
        self._prefixes: list[tuple[str, str, Handler]] = []
        self._streamed: set[Handler] = set()
        self.requests: list[FakeRequest] = []
        self.lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- routes ---------------------------------------------------------------------------
    def route(
        self,
        method: str,
        path: str,
        handler: Handler,
        *,
        prefix: bool = False,
        stream: bool = False,
    ) -> None:
        """Serve ``method path`` with ``handler``; ``prefix`` matches every path below it;
        ``stream`` hands the handler the body unread."""
        if stream:
            self._streamed.add(handler)
        if prefix:
            self._prefixes.append((method.upper(), path, handler))
            self._prefixes.sort(key=lambda item: len(item[1]), reverse=True)
        else:
            self._exact[(method.upper(), path)] = handler

    def _handler_for(self, method: str, path: str) -> Handler | None:
        handler = self._exact.get((method, path))
        if handler is not None:
            return handler
        for route_method, route_prefix, route_handler in self._prefixes:
            if route_method == method and path.startswith(route_prefix):
                return route_handler
        return None

    def requests_to(self, path: str, method: str | None = None) -> list[FakeRequest]:
        with self.lock:
            return [
                r
                for r in self.requests
                if r.path == path and (method is None or r.method == method)
            ]

    # --- lifecycle ------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake server is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeHTTPServer:
        fake = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                handler = fake._handler_for(self.command, parts.path)
                streamed = handler in fake._streamed
                request = FakeRequest(
                    method=self.command,
                    path=parts.path,
                    query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length and not streamed else b"",
                    stream=self.rfile if streamed else None,
                )
                with fake.lock:
                    fake.requests.append(request)
                if handler is None:
                    response = FakeResponse(404, {"error": f"no route {request.path}"})
                else:
                    response = handler(request)
                body, headers = response.encoded()
                self.send_response(response.status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                """Keep test output quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
