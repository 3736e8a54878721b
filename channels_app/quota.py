"""Which YouTube quota a channel spends, and how much of it there is a day.

YouTube's quota belongs to a Google Cloud project: the server's own one is shared by every
channel connected through it, a creator's own project (``GoogleProject``) only by its channels.
"""

from __future__ import annotations

from django.conf import settings

from channels_app.models import Channel
from quotas.services import QuotaBudget


def channel_quota_key(channel: Channel) -> str:
    """The key of the quota the channel spends: one per Google project."""
    if channel.google_project_id is None:
        return "youtube:shared"
    return f"youtube:project:{channel.google_project_id}"


def channel_quota_budget(channel: Channel) -> QuotaBudget:
    """The daily budget of the channel's quota: the settings for the shared project, the
    creator's own figures for theirs."""
    project = channel.google_project
    if project is None:
        return QuotaBudget(
            uploads=settings.YOUTUBE_DAILY_UPLOADS, units=settings.YOUTUBE_DAILY_UNITS
        )
    return QuotaBudget(uploads=project.daily_uploads, units=project.daily_units)
