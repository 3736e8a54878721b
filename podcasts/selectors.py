"""Reads of shows and episodes: the owner's (scoped, 404 for anyone else) and the public feed's."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from django.db.models import QuerySet

from core.errors import NotFound
from podcasts.models import Episode, Show

if TYPE_CHECKING:
    from accounts.models import User


def show_list(*, user: User) -> QuerySet[Show]:
    """The user's shows, newest first (one query)."""
    return Show.objects.filter(user=user)


def show_get(*, user: User, show_id: UUID) -> Show:
    """The user's show; another user's show is as absent as a missing one (404)."""
    show = Show.objects.filter(user=user, pk=show_id).first()
    if show is None:
        raise NotFound("Show not found.")
    return show


def episode_list(*, user: User, show_id: UUID) -> QuerySet[Episode]:
    """Every episode of the user's show (scheduled ones too), latest publication first."""
    show = show_get(user=user, show_id=show_id)
    return Episode.objects.filter(show=show)


def live_episodes(*, show: Show) -> list[Episode]:
    """The episodes a listener sees: live ones, latest first."""
    return list(Episode.objects.filter(show=show, live_at__isnull=False))


def next_publish_at(*, show: Show) -> datetime | None:
    """When the show's next scheduled episode is due, or ``None``."""
    return (
        Episode.objects.filter(show=show, live_at__isnull=True)
        .order_by("publish_at")
        .values_list("publish_at", flat=True)
        .first()
    )


def live_episode_get(*, show_id: UUID, episode_id: UUID) -> Episode:
    """A live episode of the show, for its public media URL; anything else is 404."""
    episode = Episode.objects.filter(pk=episode_id, show_id=show_id, live_at__isnull=False).first()
    if episode is None:
        raise NotFound("Episode not found.")
    return episode
