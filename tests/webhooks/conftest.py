"""Fixtures of the webhook tests: a creator, their API client, and loopback receivers allowed
by the test-only ``OUTBOUND_ALLOWED_HOSTS``."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.uploads.test_ssrf import dns  # noqa: F401 - the same fake resolver
from tests.webhooks.receiver import WebhookReceiver
from webhooks.models import WebhookEndpoint
from webhooks.services import endpoint_create


@pytest.fixture
def fast_retries(settings) -> None:
    settings.WEBHOOK_RETRY_BASE_DELAY = 0.0
    settings.WEBHOOK_TIMEOUT = 5.0


@pytest.fixture
def receiver_for(settings, fast_retries) -> Iterator[Callable[..., WebhookReceiver]]:
    """Start a receiver, allow its address, and register it as an endpoint of ``owner``."""
    started: list[WebhookReceiver] = []
    settings.OUTBOUND_ALLOWED_HOSTS = []

    def make(owner, *, answers: list[int] | None = None, default: int = 200) -> WebhookReceiver:
        receiver = WebhookReceiver(answers=answers, default=default).start()
        started.append(receiver)
        settings.OUTBOUND_ALLOWED_HOSTS = [*settings.OUTBOUND_ALLOWED_HOSTS, receiver.host]
        created = endpoint_create(owner=owner, url=receiver.url)
        receiver.secret = created.secret
        receiver.endpoint = created.endpoint  # type: ignore[attr-defined]
        return receiver

    yield make
    for receiver in started:
        receiver.stop()


def endpoint_of(receiver: WebhookReceiver) -> WebhookEndpoint:
    endpoint: WebhookEndpoint = receiver.endpoint  # type: ignore[attr-defined]
    endpoint.refresh_from_db()
    return endpoint
