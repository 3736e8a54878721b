"""Which platform project's daily quota a channel spends, and that project's budget.

Every channel spends the deployment's own Google Cloud project for now: all creators share it.
"""

from __future__ import annotations

from django.conf import settings

from channels_app.models import Channel
from quotas.services import QuotaBudget


def channel_quota_key(channel: Channel) -> str:
    """The ledger key of the project whose quota ``channel``'s API calls spend."""
    return "youtube:shared"


def channel_quota_budget(channel: Channel) -> QuotaBudget:
    """The daily budget of that project."""
    return QuotaBudget(uploads=settings.YOUTUBE_DAILY_UPLOADS, units=settings.YOUTUBE_DAILY_UNITS)
