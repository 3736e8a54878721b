"""Disconnecting a channel: revoke the grant, let dependent apps react, delete the row."""

from __future__ import annotations

import logging

from django.db import transaction

from channels_app.models import Channel
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
    provider = get_provider(channel.platform)
    if (
        isinstance(provider, OAuthProvider)
        and provider.supports_revocation
        and channel.refresh_token_encrypted
    ):
        try:
            refresh_token = channel_grant_decrypt(channel)
        except crypto.DecryptionError:
            logger.error("channel %s: stored grant does not decrypt; not revoked", channel.pk)
        else:
            grant_revoke(
                provider=provider, refresh_token=refresh_token, subject=f"channel {channel.pk}"
            )
    with transaction.atomic():
        channel_disconnecting.send(sender=Channel, channel_id=channel.pk)
        Channel.objects.filter(pk=channel.pk).delete()
