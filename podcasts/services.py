"""Writes on shows and episodes, and the feed document served from cache.

The seam for the upload pipeline (``uploads`` imports this module; never the other way):

``episode_publish(*, show_id, media_key, media_type, title, description="", publish_at=None)``
    Turn an asset in our own storage (its ``StoredAsset.key`` and ``content_type``) into an
    episode of the show, once: a second call with the same (show, media key), e.g. from the
    Apple channel after the Spotify one, returns the first episode unchanged. Size and duration
    are read from the stored file. ``publish_at`` in the future creates a scheduled episode,
    absent from the feed until then; absent or past makes it live now. Either way, when it goes
    live the feed cache is dropped and the WebSub hub pinged after commit. The job's result is
    ``{"providerId": episode.guid, "url": feed_url(episode.show_id)}`` once
    ``episode.is_live``. Raises ``NotFound`` (no such show), ``InvalidInput`` (``media_missing``,
    ``media_unreadable``, text too long): permanent; storage outages propagate (transient).

``episodes_publish_due(*, show_id=None)``
    Make every due scheduled episode live (a conditional UPDATE per episode, so concurrent
    callers publish each once). Run by beat every ``PODCAST_PUBLISH_INTERVAL`` and by the feed
    itself when its cached copy reaches the next ``publish_at``. A dispatcher that holds a
    scheduled job until ``scheduledAt`` may instead call ``episode_publish`` at that moment.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import InvalidInput, NotFound
from core.tasks import enqueue
from podcasts import selectors
from podcasts.feed import feed_build
from podcasts.links import podcast_guid_for
from podcasts.media import media_probe
from podcasts.models import Episode, Show
from podcasts.websub import hub_ping_task

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

TEXT_MAX_BYTES = 4000  # Apple: show and episode descriptions
TITLE_MAX_CHARS = 255  # Episode.title
SHOW_FIELDS = frozenset(
    {
        "title",
        "description",
        "author",
        "owner_email",
        "image_url",
        "language",
        "category",
        "explicit",
    }
)


# --- shows -----------------------------------------------------------------------------------
def show_create(
    *,
    user: User,
    title: str,
    description: str,
    author: str,
    owner_email: str,
    image_url: str,
    language: str,
    category: str,
    explicit: bool,
) -> Show:
    """A new show of ``user``. Input is validated by the caller (the API's serializer)."""
    show_id = uuid4()
    return Show.objects.create(
        id=show_id,
        user=user,
        title=title,
        description=description,
        author=author,
        owner_email=owner_email,
        image_url=image_url,
        language=language,
        category=category,
        explicit=explicit,
        podcast_guid=podcast_guid_for(show_id),
    )


def show_update(*, show: Show, data: dict[str, Any]) -> Show:
    """Change the given fields of ``show``; its feed is rebuilt on the next read."""
    unknown = set(data) - SHOW_FIELDS
    if unknown:
        raise ValueError(f"not show fields: {sorted(unknown)}")
    if not data:
        return show
    with transaction.atomic():
        for name, value in data.items():
            setattr(show, name, value)
        show.save(update_fields=[*data, "updated_at"])
        _feed_changed(show.pk, ping=False)
    return show


def show_delete(*, show: Show) -> None:
    """Delete the show and its episodes; the feed answers 404 from then on. The media files
    stay in storage: they belong to the uploads that brought them."""
    with transaction.atomic():
        show_id = show.pk
        show.delete()
        _feed_changed(show_id, ping=False)


# --- episodes ----------------------------------------------------------------------------------
def _check_text(*, title: str, description: str) -> None:
    if not title.strip() or len(title) > TITLE_MAX_CHARS:
        raise InvalidInput(f"An episode title has 1 to {TITLE_MAX_CHARS} characters.", attr="title")
    if len(description.encode()) > TEXT_MAX_BYTES:
        raise InvalidInput(
            f"An episode description has at most {TEXT_MAX_BYTES} bytes.", attr="description"
        )


def episode_publish(
    *,
    show_id: UUID,
    media_key: str,
    media_type: str,
    title: str,
    description: str = "",
    publish_at: datetime | None = None,
) -> Episode:
    """The episode of ``media_key`` in the show, created once (see the module docstring)."""
    existing = Episode.objects.filter(show_id=show_id, media_key=media_key).first()
    if existing is not None:
        return existing
    if not Show.objects.filter(pk=show_id).exists():
        raise NotFound("Show not found.")
    _check_text(title=title, description=description)
    facts = media_probe(media_key=media_key)  # storage I/O, outside any transaction
    now = timezone.now()
    publish_at = publish_at or now
    live = publish_at <= now
    episode_id = uuid4()
    try:
        with transaction.atomic():
            episode = Episode.objects.create(
                id=episode_id,
                show_id=show_id,
                guid=str(episode_id),
                title=title,
                description=description,
                media_key=media_key,
                media_size_bytes=facts.size_bytes,
                media_type=media_type,
                duration_ms=facts.duration_ms,
                publish_at=publish_at,
                live_at=now if live else None,
            )
            # A scheduled episode changes the feed's next refresh time, not its content.
            _feed_changed(show_id, ping=live)
    except IntegrityError:
        # The same media published concurrently: the other call's episode is the one.
        existing = Episode.objects.filter(show_id=show_id, media_key=media_key).first()
        if existing is None:
            raise
        return existing
    return episode


def episodes_publish_due(*, show_id: UUID | None = None) -> list[UUID]:
    """Make due scheduled episodes live; return the ids of those this call published."""
    now = timezone.now()
    due = Episode.objects.filter(live_at__isnull=True, publish_at__lte=now)
    if show_id is not None:
        due = due.filter(show_id=show_id)
    published: list[UUID] = []
    for episode_id, episode_show_id in due.values_list("id", "show_id")[:500]:
        with transaction.atomic():
            claimed = Episode.objects.filter(pk=episode_id, live_at__isnull=True).update(
                live_at=now
            )
            if claimed:
                published.append(episode_id)
                _feed_changed(episode_show_id, ping=True)
    return published


# --- the feed -------------------------------------------------------------------------------
@dataclass(frozen=True)
class FeedDocument:
    xml: bytes
    etag: str
    last_modified: datetime
    # When the next scheduled episode is due: the cached copy is stale from then on.
    refresh_at: datetime | None


# The cached feed lives under a key that includes the show's feed version, and a change bumps
# the version after commit. A request that read the rows before a change and stores its
# document after it stores it under the old version, where no one looks any more.
def _feed_version_key(show_id: UUID) -> str:
    return f"podcasts:feed-version:{show_id}"


def _feed_key(show_id: UUID, version: int) -> str:
    return f"podcasts:feed:{show_id}:{version}"


def _feed_changed(show_id: UUID, *, ping: bool) -> None:
    """After commit: retire the cached feed and, when listeners see something new, ping the hub."""

    def after_commit() -> None:
        try:
            cache.incr(_feed_version_key(show_id))
        except ValueError:  # no version yet (or evicted): any new value retires the old key
            cache.set(_feed_version_key(show_id), uuid4().int % 2**62, timeout=None)
        if ping and settings.WEBSUB_HUB_URL:
            enqueue(hub_ping_task, str(show_id))

    transaction.on_commit(after_commit)


def feed_document(*, show_id: UUID) -> FeedDocument:
    """The show's feed, from cache while nothing changed (no query on a hit).

    A cached copy carries the moment its next scheduled episode is due; from then on the feed
    publishes what is due first (pinging the hub) and is rebuilt, so a scheduled episode
    appears on time even before the beat task runs.
    """
    key = _feed_key(show_id, cache.get(_feed_version_key(show_id), 0))
    document: FeedDocument | None = cache.get(key)
    now = timezone.now()
    if document is not None and (document.refresh_at is None or now < document.refresh_at):
        return document
    episodes_publish_due(show_id=show_id)
    show = Show.objects.filter(pk=show_id).first()
    if show is None:
        raise NotFound("Show not found.")
    episodes = selectors.live_episodes(show=show)
    last_modified = max([show.updated_at, *(e.live_at for e in episodes if e.live_at)])
    xml = feed_build(show=show, episodes=episodes, last_modified=last_modified)
    document = FeedDocument(
        xml=xml,
        etag=f'"{hashlib.sha256(xml).hexdigest()[:32]}"',
        last_modified=last_modified,
        refresh_at=selectors.next_publish_at(show=show),
    )
    cache.set(key, document, timeout=settings.PODCAST_FEED_CACHE_TTL.total_seconds())
    return document
