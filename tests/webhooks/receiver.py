"""A webhook receiver on 127.0.0.1 that verifies every delivery with the ``standardwebhooks``
verifier, as an integrator's server would, and answers the statuses it is given."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.fakes.loopback import LoopbackServer


@dataclass(frozen=True)
class Received:
    webhook_id: str
    event: Any  # the verified JSON body, or None when verification failed
    verified: bool
    answered: int


class ReceiverHandler(BaseHTTPRequestHandler):
    fake: WebhookReceiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(self.fake.record(dict(self.headers.items()), body))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


class WebhookReceiver(LoopbackServer):
    handler_class = ReceiverHandler

    def __init__(self, *, answers: list[int] | None = None, default: int = 200) -> None:
        self.secret = ""  # set once the endpoint is created
        self.answers = list(answers or [])
        self.default = default
        self.received: list[Received] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://{self.host}/hooks"

    def record(self, headers: dict[str, str], body: bytes) -> int:
        try:
            event = Webhook(self.secret).verify(body, headers)
            verified = True
        except WebhookVerificationError:
            event, verified = None, False
        with self._lock:
            status = self.answers.pop(0) if self.answers else self.default
            webhook_id = {k.lower(): v for k, v in headers.items()}.get("webhook-id", "")
            self.received.append(Received(webhook_id, event, verified, status))
        return status
