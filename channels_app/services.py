"""STAND-IN until the channels branch is merged (its services replace this file)."""

from __future__ import annotations

from django.utils import timezone
from google.oauth2.credentials import Credentials

from channels_app.models import Channel, ChannelStatus
from core import crypto
from providers.youtube.client import youtube_credentials


def channel_credentials(channel: Channel) -> Credentials:
    return youtube_credentials(
        crypto.decrypt(channel.refresh_token_encrypted, associated_data=str(channel.id))
    )


def channel_mark_needs_reauth(*, channel: Channel) -> None:
    now = timezone.now()
    Channel.objects.filter(pk=channel.pk).update(status=ChannelStatus.NEEDS_REAUTH, updated_at=now)
    channel.status = ChannelStatus.NEEDS_REAUTH
