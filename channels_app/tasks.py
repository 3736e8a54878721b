"""Background refreshes. Tasks take ids, load rows and call the services; safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from channels_app import services
from channels_app.models import Channel

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(services.ProviderUnavailable,),
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
    return services.channel_refresh(channel=channel).status


@shared_task
def channels_refresh_stale() -> int:
    """Daily (beat): queue a refresh for each active OAuth channel with old account data."""
    queued = services.channels_refresh_stale()
    logger.info("queued %s stale channel refreshes", queued)
    return queued


@shared_task
def oauth_states_purge() -> int:
    """Daily (beat): forget authorization requests that expired."""
    return services.oauth_states_purge()
