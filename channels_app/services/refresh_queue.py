"""Queueing refreshes of many channels (the work runs in ``channels_app.tasks``)."""

from __future__ import annotations

from accounts.models import User
from channels_app.models import Channel
from channels_app.tasks import channels_refresh_enqueue


def channels_refresh_all(*, user: User) -> int:
    """Queue one refresh task per channel of the user; returns how many were queued."""
    channel_ids = list(Channel.objects.filter(user=user).values_list("pk", flat=True))
    channels_refresh_enqueue(channel_ids)
    return len(channel_ids)
