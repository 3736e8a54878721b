"""Shows (a hosted podcast feed) and their episodes.

An episode keeps its own copy of what the feed needs about its media (storage key, exact byte
size, MIME type, duration read from the file), so this app depends on ``core.storage`` only and
never on ``uploads``: uploads will call ``podcasts.services`` to turn a job into an episode.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual


class Show(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shows"
    )
    title = models.CharField(max_length=255)
    description = models.TextField()  # at most 4,000 bytes of UTF-8 (Apple), checked on input
    author = models.CharField(max_length=255)
    owner_email = models.EmailField()
    image_url = models.URLField(max_length=2048)
    language = models.CharField(max_length=5)
    category = models.CharField(max_length=100)
    explicit = models.BooleanField(default=False)
    # Podcasting 2.0 <podcast:guid>: fixed at creation so a later change of PUBLIC_BASE_URL
    # (a move of the feed) keeps the show's identity.
    podcast_guid = models.UUIDField(unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Characters bound bytes from below; the byte limit itself is checked on input.
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("description"), 4000),
                name="show_description_4000",
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="show_user_recent")]

    def __str__(self) -> str:
        return self.title


class Episode(models.Model):
    """One media file in one show's feed. ``guid`` never changes once published."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="episodes")
    guid = models.CharField(max_length=100, unique=True, editable=False)
    title = models.CharField(max_length=255)  # services.TITLE_MAX_CHARS
    description = models.TextField(blank=True)
    media_key = models.CharField(max_length=512)
    media_size_bytes = models.PositiveBigIntegerField()
    media_type = models.CharField(max_length=100)
    duration_ms = models.PositiveBigIntegerField()
    publish_at = models.DateTimeField()
    # Set once, by the conditional UPDATE that makes the episode live (at or after publish_at).
    live_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-publish_at", "-created_at"]
        constraints = [
            # The same asset sent to several directory channels of one show is one episode.
            models.UniqueConstraint(
                fields=["show", "media_key"], name="episode_one_per_show_media"
            ),
            models.CheckConstraint(
                condition=Q(media_size_bytes__gt=0), name="episode_media_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(live_at__isnull=True) | Q(live_at__gte=models.F("publish_at")),
                name="episode_live_not_before_publish_at",
            ),
        ]
        indexes = [
            models.Index(fields=["show", "-publish_at"], name="episode_show_recent"),
            models.Index(
                fields=["publish_at"], condition=Q(live_at__isnull=True), name="episode_due"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_live(self) -> bool:
        return self.live_at is not None
