"""Which YouTube quota a channel spends, and how much of it there is a day.

YouTube's quota belongs to a Google Cloud project: the server's own one is shared by every
channel connected through it, a creator's own project (``GoogleProject``) only by its channels.
On the shared project each creator may spend at most a share of the day's uploads, by plan
(``YOUTUBE_DAILY_UPLOAD_SHARE``), so that one creator's burst cannot spend everyone's day.
"""

from __future__ import annotations

from django.conf import settings

from billing.plans import FREE
from billing.selectors import plan_of
from channels_app.models import Channel
from quotas.services import QuotaBudget, QuotaShare

SHARED_PROJECT_KEY = "youtube:shared"


def channel_quota_key(channel: Channel) -> str:
    """The key of the quota the channel spends: one per Google project."""
    if channel.google_project_id is None:
        return SHARED_PROJECT_KEY
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


def channel_quota_share(channel: Channel) -> QuotaShare | None:
    """The channel owner's daily share of the shared project's uploads (every channel of theirs
    on it spends the same share); ``None`` on a creator's own project, which is theirs alone."""
    if channel.google_project_id is not None:
        return None
    shares = settings.YOUTUBE_DAILY_UPLOAD_SHARE
    percent = shares.get(plan_of(channel.user).code, shares[FREE])
    return QuotaShare(
        key=f"{SHARED_PROJECT_KEY}:user:{channel.user_id}",
        uploads=max(1, settings.YOUTUBE_DAILY_UPLOADS * percent // 100),
    )
