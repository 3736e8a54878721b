"""Background refreshes. Tasks take ids, load rows and call the services; safe to run twice."""

from __future__ import annotations

import logging
import uuid

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channels_app.errors import ProviderUnavailable
from channels_app.models import Channel
from channels_app.selectors import channels_stale
from channels_app.services import oauth, oauth_flows
from channels_app.services.refresh import channel_refresh
from core.tasks import enqueue

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(ProviderUnavailable,),
    retry_backoff=60,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=5,
)
def channel_refresh_task(channel_id: str) -> str | None:
    """Refresh one channel; a platform that does not answer is retried with backoff."""
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:  # disconnected meanwhile
        return None
    return channel_refresh(channel=channel).status


def channels_refresh_enqueue(channel_ids: list[uuid.UUID]) -> None:
    """Queue a refresh per channel once the current transaction commits."""

    def send() -> None:
        for channel_id in channel_ids:
            enqueue(channel_refresh_task, str(channel_id))

    transaction.on_commit(send)


@shared_task
def channels_refresh_stale() -> int:
    """Daily (beat): queue a refresh for each active OAuth channel not refreshed recently."""
    cutoff = timezone.now() - settings.CHANNEL_STALE_AFTER
    channel_ids = list(channels_stale(refreshed_before=cutoff).values_list("pk", flat=True))
    channels_refresh_enqueue(channel_ids)
    logger.info("queued %s stale channel refreshes", len(channel_ids))
    return len(channel_ids)


@shared_task
def oauth_states_purge() -> int:
    """Daily (beat): forget authorization requests and held consents that expired (the held
    grants revoked, best effort); returns how many rows went."""
    return oauth.oauth_states_purge() + oauth_flows.oauth_flows_purge()
