"""Telling the WebSub hub (``WEBSUB_HUB_URL``) that a show's feed changed.

Directories subscribed at the hub then fetch the feed at once instead of at their next poll.
The ping is ``POST hub.mode=publish&hub.url=<feed url>``; a timeout, 429 or 5xx is retried by
the Celery task with exponential back-off and jitter, any other refusal is logged and dropped
(the directories still poll the feed).
"""

from __future__ import annotations

import logging
import random
from uuid import UUID

import requests
from celery import shared_task
from django.conf import settings

from podcasts.links import feed_url

logger = logging.getLogger(__name__)


class HubUnavailable(Exception):
    """The hub did not take the ping this time; try again later."""


def hub_ping(*, show_id: UUID | str) -> bool:
    """Ping the hub for the show's feed. Returns whether the hub accepted it."""
    hub = settings.WEBSUB_HUB_URL
    if not hub:
        return False
    try:
        response = requests.post(
            hub,
            data={"hub.mode": "publish", "hub.url": feed_url(UUID(str(show_id)))},
            timeout=settings.WEBSUB_HUB_TIMEOUT,
        )
    except requests.RequestException as exc:
        raise HubUnavailable(f"The hub did not answer ({type(exc).__name__}).") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise HubUnavailable(f"The hub answered {response.status_code}.")
    if response.status_code >= 400:
        logger.warning("the WebSub hub refused a ping", extra={"status": response.status_code})
        return False
    return True


MAX_ATTEMPTS = 6
RETRY_BASE_DELAY = 5.0  # seconds, doubled per attempt, with jitter
RETRY_MAX_DELAY = 600.0


def retry_delay(attempt: int) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based): full jitter over
    exponential back-off, so pings of many feeds spread out."""
    ceiling = min(RETRY_MAX_DELAY, RETRY_BASE_DELAY * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - not for security


@shared_task(ignore_result=True)
def hub_ping_task(show_id: str, attempt: int = 1) -> bool:
    """Ping the hub; on a transient failure send itself again with a countdown.

    A new message rather than ``self.retry``: it behaves the same when tasks run eagerly
    (embedded mode), where Celery would raise the ``Retry`` into the caller instead.
    """
    try:
        return hub_ping(show_id=show_id)
    except HubUnavailable as exc:
        if attempt >= MAX_ATTEMPTS:
            logger.warning("the WebSub hub was not reached: %s", exc)
            return False
        hub_ping_task.apply_async(args=[show_id, attempt + 1], countdown=retry_delay(attempt))
        return False
