"""Disconnecting a channel: revoke the grant, let dependent apps react, delete the row."""

from __future__ import annotations

import logging

from django.db import transaction

from channels_app.errors import GoogleProjectUnusable
from channels_app.models import Channel
from channels_app.services.google_projects import oauth_provider_for
from channels_app.services.grants import channel_grant_decrypt, grant_revoke
from channels_app.signals import channel_disconnecting
from core import crypto
from providers.base import OAuthProvider
from providers.registry import get_provider

logger = logging.getLogger(__name__)


def channel_disconnect(*, channel: Channel) -> None:
    """Revoke the grant (best effort), end what depends on the channel, delete the channel.

    Deleting the row erases the encrypted token with it. Receivers of
    ``channel_disconnecting`` run in the same transaction (the upload pipeline cancels the
    channel's queued jobs and gives their quota slots back); jobs already running finish or
    fail on their own, their ``channel`` becoming null.
    """
    platform = get_provider(channel.platform)
    if (
        isinstance(platform, OAuthProvider)
        and platform.supports_revocation
        and channel.refresh_token_encrypted
    ):
        try:
            refresh_token = channel_grant_decrypt(channel)
            # Revoked as the client that obtained it (the creator's own project, if any).
            provider = oauth_provider_for(
                platform=channel.platform, google_project=channel.google_project
            )
        except crypto.DecryptionError:
            logger.error("channel %s: stored grant does not decrypt; not revoked", channel.pk)
        except GoogleProjectUnusable:
            logger.error("channel %s: its project's client is unusable; not revoked", channel.pk)
        else:
            grant_revoke(
                provider=provider, refresh_token=refresh_token, subject=f"channel {channel.pk}"
            )
    with transaction.atomic():
        channel_disconnecting.send(sender=Channel, channel_id=channel.pk)
        Channel.objects.filter(pk=channel.pk).delete()
