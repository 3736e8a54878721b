"""A threaded HTTP server on a free 127.0.0.1 port, for fakes with their own request handler."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar, Self


class QuietHTTPServer(ThreadingHTTPServer):
    """Threads that never block shutdown, and no traceback when a client hangs up."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


class LoopbackServer:
    """Serves ``handler_class``, whose instances reach this object as ``self.fake``."""

    handler_class: ClassVar[type[BaseHTTPRequestHandler]]
    _server: QuietHTTPServer | None = None

    def start(self) -> Self:
        handler = type("Handler", (self.handler_class,), {"fake": self})
        self._server = QuietHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def host(self) -> str:
        assert self._server is not None, "start() the server first"
        return f"127.0.0.1:{self._server.server_address[1]}"
