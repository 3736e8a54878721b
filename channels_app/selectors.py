"""Reads on channels, always scoped to the requesting user (a fixed number of queries)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from accounts.models import User
from billing.selectors import plan_of
from channels_app.errors import google_project_not_found
from channels_app.models import Channel, ChannelStatus, GoogleProject
from core.errors import NotFound
from providers.base import OAuthProvider
from providers.registry import all_providers


def channel_list(*, user: User) -> QuerySet[Channel]:
    """The user's channels, newest first (one query)."""
    return Channel.objects.filter(user=user).order_by("-connected_at", "-id")


def channel_get(*, user: User, channel_id: uuid.UUID | str) -> Channel:
    """The user's channel ``channel_id``; another user's channel is simply not found."""
    try:
        return Channel.objects.get(user=user, pk=channel_id)
    except (Channel.DoesNotExist, ValueError) as exc:
        raise NotFound("No such channel.", code="not_found") from exc


def channel_limit_for(user: User) -> int:
    """How many channels the user's plan allows; a user without a plan is on Free."""
    return plan_of(user).channel_limit


def oauth_platform_ids() -> list[str]:
    return [p.platform.value for p in all_providers() if isinstance(p, OAuthProvider)]


def channels_stale(*, refreshed_before: datetime) -> QuerySet[Channel]:
    """Active OAuth channels whose account data predates ``refreshed_before`` (system-wide)."""
    return Channel.objects.filter(
        Q(last_refreshed_at__lt=refreshed_before) | Q(last_refreshed_at__isnull=True),
        platform__in=oauth_platform_ids(),
        status=ChannelStatus.ACTIVE,
    ).order_by("last_refreshed_at")


def channels_for_refresh(*, email: str | None = None, platform: str | None = None):
    """Channels an operator asked to refresh (``refresh_channels``), oldest data first."""
    channels = Channel.objects.select_related("user").order_by("last_refreshed_at", "pk")
    if email:
        channels = channels.filter(user__email=User.objects.normalize_email(email))
    if platform:
        channels = channels.filter(platform=platform)
    return channels


@dataclass(frozen=True)
class PlatformInfo:
    id: str
    name: str
    connect: str
    uploads: bool
    media_types: list[str]
    configured: bool
    description: str


def platform_list() -> list[PlatformInfo]:
    """The ten platforms with what each one really allows (no database query)."""
    return [
        PlatformInfo(
            id=provider.platform.value,
            name=provider.name,
            connect=provider.connect,
            uploads=provider.uploads,
            media_types=list(provider.media_types),
            configured=provider.is_configured(),
            description=provider.description,
        )
        for provider in all_providers()
    ]


def google_project_list(*, user: User) -> QuerySet[GoogleProject]:
    """The user's own Google projects, oldest first, with how many channels use each (one
    query)."""
    return (
        GoogleProject.objects.filter(owner=user)
        .annotate(channel_count=Count("channels"))
        .order_by("created_at", "id")
    )


def google_project_get(*, user: User, project_id: uuid.UUID | str) -> GoogleProject:
    """The user's project ``project_id``; another user's project is simply not found."""
    try:
        return google_project_list(user=user).get(pk=project_id)
    except (GoogleProject.DoesNotExist, ValueError) as exc:
        raise google_project_not_found() from exc
