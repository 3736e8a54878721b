from __future__ import annotations

from urllib.parse import urlsplit

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from podcasts.links import enclosure_url, feed_url, media_extension
from podcasts.models import Episode, Show
from podcasts.services import TEXT_MAX_BYTES
from podcasts.vocabulary import CATEGORY_CHOICES, normalize_language


class ShowInputSerializer(serializers.Serializer):
    """What Apple and Spotify check in a show's feed, checked here first."""

    title = serializers.CharField(max_length=255)
    description = serializers.CharField(
        help_text=f"At most {TEXT_MAX_BYTES} bytes of UTF-8 (Apple's limit)."
    )
    author = serializers.CharField(max_length=255)
    owner_email = serializers.EmailField(
        max_length=254, help_text="itunes:email, where Spotify sends its ownership check."
    )
    image_url = serializers.URLField(
        max_length=2048,
        help_text="https URL of square JPEG or PNG artwork (Apple: 1400-3000 px), ending in "
        ".jpg or .png.",
    )
    language = serializers.CharField(
        max_length=5, help_text="ISO 639-1 code, optionally with a region: `en`, `en-us`."
    )
    category = serializers.ChoiceField(
        choices=CATEGORY_CHOICES,
        help_text="One of Apple's podcast categories, or `Category > Subcategory`.",
    )
    explicit = serializers.BooleanField()

    def validate_description(self, value: str) -> str:
        if len(value.encode()) > TEXT_MAX_BYTES:
            raise serializers.ValidationError(
                f"Ensure this field has no more than {TEXT_MAX_BYTES} bytes.", code="max_length"
            )
        return value

    def validate_image_url(self, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme != "https":
            raise serializers.ValidationError("The image URL must be https.", code="invalid")
        if not parts.path.lower().endswith((".jpg", ".png")):
            raise serializers.ValidationError(
                "The image URL must end in .jpg or .png.", code="invalid"
            )
        return value

    def validate_language(self, value: str) -> str:
        language = normalize_language(value)
        if language is None:
            raise serializers.ValidationError(
                "Not an ISO 639-1 language code (e.g. en, en-us).", code="invalid"
            )
        return language


class ShowSerializer(serializers.ModelSerializer):
    feed_url = serializers.SerializerMethodField()
    category = serializers.ChoiceField(choices=CATEGORY_CHOICES, read_only=True)

    class Meta:
        model = Show
        fields = [
            "id",
            "title",
            "description",
            "author",
            "owner_email",
            "image_url",
            "language",
            "category",
            "explicit",
            "feed_url",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_feed_url(self, show: Show) -> str:
        return feed_url(show.pk)


class EpisodeSerializer(serializers.ModelSerializer):
    size_bytes = serializers.IntegerField(source="media_size_bytes", read_only=True)
    duration_seconds = serializers.SerializerMethodField()
    live = serializers.BooleanField(source="is_live", read_only=True)
    enclosure_url = serializers.SerializerMethodField()

    class Meta:
        model = Episode
        fields = [
            "id",
            "guid",
            "title",
            "description",
            "media_type",
            "size_bytes",
            "duration_seconds",
            "publish_at",
            "live",
            "live_at",
            "enclosure_url",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.FloatField())
    def get_duration_seconds(self, episode: Episode) -> float:
        return episode.duration_ms / 1000

    @extend_schema_field(
        serializers.URLField(help_text="Public once the episode is live; 404 before.")
    )
    def get_enclosure_url(self, episode: Episode) -> str:
        return enclosure_url(
            show_id=episode.show_id,
            episode_id=episode.pk,
            extension=media_extension(episode.media_key, episode.media_type),
        )
