"""One signed POST of a delivery to its endpoint, in the Standard Webhooks format.

The URL is checked again at every attempt (:func:`core.ssrf.resolve_target`) and the connection
goes to the address that was checked, so a DNS answer changed since the endpoint was created
(DNS rebinding) cannot turn a delivery towards an internal service. Redirects are not
followed: a 3xx is an unsuccessful attempt like any other non-2xx answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import urllib3
from django.conf import settings
from standardwebhooks.webhooks import Webhook

from core.pinned_http import host_header, pinned_pool
from core.ssrf import UnsafeAssetUrl, resolve_target

USER_AGENT = "Gateway-Webhooks/1"


@dataclass(frozen=True)
class SendResult:
    """The endpoint's HTTP status, or why there was none (``error``)."""

    status: int | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def encode_body(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def signed_headers(*, secret: str, message_id: str, sent_at: datetime, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers; ``sent_at`` is timezone-aware."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, sent_at, body),
    }


def send(*, url: str, secret: str, message_id: str, sent_at: datetime, body: str) -> SendResult:
    """POST ``body`` to ``url``, signed; never raises for what the endpoint does."""
    try:
        target = resolve_target(url)
    except UnsafeAssetUrl as exc:
        return SendResult(error=f"refused: {exc}"[:200])
    headers = {
        "Host": host_header(target),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **signed_headers(secret=secret, message_id=message_id, sent_at=sent_at, body=body),
    }
    timeout = urllib3.Timeout(total=settings.WEBHOOK_TIMEOUT)
    pool = pinned_pool(target)
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body.encode(),
            headers=headers,
            redirect=False,
            retries=False,
            preload_content=False,
            timeout=timeout,
        )
        response.close()  # the body is not read: only the status matters
    except urllib3.exceptions.HTTPError as exc:
        return SendResult(error=f"no answer ({type(exc).__name__})")
    finally:
        pool.close()
    return SendResult(status=response.status)
