from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from channels_app.models import Channel, ChannelStatus, GoogleProject
from core.wire import datetime_wire, uuid_wire
from providers.platforms import Platform

# Google's web client ids: "<project number>-<random>.apps.googleusercontent.com".
GOOGLE_CLIENT_ID_PATTERN = r"^[0-9]{1,30}-[a-z0-9]{1,64}\.apps\.googleusercontent\.com$"
# Client secrets ("GOCSPX-..." today, 24 characters before): URL-safe, no spaces.
GOOGLE_CLIENT_SECRET_PATTERN = r"^[A-Za-z0-9_\-]{16,128}$"  # noqa: S105 - a pattern, no secret
# Google grants more quota on request; these bounds only catch mistakes.
MAX_DAILY_UPLOADS = 100_000
MAX_DAILY_UNITS = 1_000_000_000


class PlatformSerializer(serializers.Serializer):
    id = serializers.ChoiceField(Platform.choices)
    name = serializers.CharField()
    connect = serializers.ChoiceField(["oauth", "manual"])
    uploads = serializers.BooleanField()
    media_types = serializers.ListField(child=serializers.CharField())
    configured = serializers.BooleanField()
    description = serializers.CharField(help_text="One line: how publishing works there.")


class ChannelSerializer(serializers.ModelSerializer):
    """A channel as the API shows it: never any token material."""

    status = serializers.ChoiceField(ChannelStatus.choices)
    meta = serializers.DictField()

    class Meta:
        model = Channel
        fields = [
            "id",
            "platform",
            "display_name",
            "provider_channel_id",
            "status",
            "meta",
            "google_project_id",
            "connected_at",
            "last_refreshed_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "google_project_id": {
                "help_text": "The creator's own Google project the channel was connected "
                "through (its quota is spent); null: the server's."
            }
        }

    def to_representation(self, instance: Channel) -> dict[str, Any]:
        """The fields above built directly (the channels list's hot path; see ``core.wire``)."""
        return {
            "id": str(instance.id),
            "platform": instance.platform,
            "display_name": instance.display_name,
            "provider_channel_id": instance.provider_channel_id,
            "status": instance.status,
            "meta": dict(instance.meta),
            "connected_at": datetime_wire(instance.connected_at),
            "last_refreshed_at": datetime_wire(instance.last_refreshed_at),
            "google_project_id": uuid_wire(instance.google_project_id),
        }


class ConnectInputSerializer(serializers.Serializer):
    platform = serializers.ChoiceField(Platform.choices)
    show_id = serializers.UUIDField(
        required=False,
        default=None,
        help_text="Podcast directories only: the user's show this channel is the listing of.",
    )
    google_project_id = serializers.UUIDField(
        required=False,
        default=None,
        help_text="YouTube only, Agency plan: connect through this one of the user's own Google "
        "projects (its OAuth client and quota) instead of the server's.",
    )
    provider_channel_id = serializers.CharField(
        required=False, allow_blank=True, max_length=500, default=""
    )
    display_name = serializers.CharField(
        required=False, allow_blank=True, max_length=200, default=""
    )


class OAuthStartSerializer(serializers.Serializer):
    authorization_url = serializers.URLField()
    state = serializers.CharField()


class ConnectCompleteInputSerializer(serializers.Serializer):
    flow = serializers.CharField(
        max_length=200, help_text="The `oauthFlow` of the callback's redirect."
    )


class ChannelUpdateInputSerializer(serializers.Serializer):
    display_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    provider_channel_id = serializers.CharField(required=False, allow_blank=True, max_length=500)


class RefreshAllSerializer(serializers.Serializer):
    queued = serializers.IntegerField()


class GoogleProjectSerializer(serializers.ModelSerializer):
    """A creator's own Google project as the API shows it: never its client secret."""

    channel_count = serializers.IntegerField(
        read_only=True, help_text="Channels connected through it (it cannot be deleted then)."
    )
    redirect_uri = serializers.SerializerMethodField(
        help_text="Add this to the OAuth client's authorized redirect URIs in Google Cloud."
    )

    class Meta:
        model = GoogleProject
        fields = [
            "id",
            "name",
            "client_id",
            "daily_uploads",
            "daily_units",
            "channel_count",
            "redirect_uri",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_redirect_uri(self, project: GoogleProject) -> str:
        return settings.YOUTUBE_REDIRECT_URI


class GoogleProjectInputSerializer(serializers.Serializer):
    """What a creator types in: the secret is written, never read back."""

    name = serializers.CharField(max_length=100)
    client_id = serializers.RegexField(
        GOOGLE_CLIENT_ID_PATTERN,
        max_length=255,
        help_text="The OAuth 2.0 client id of a web application, "
        "`<number>-<id>.apps.googleusercontent.com`.",
        error_messages={
            "invalid": "Expected a Google client id, "
            "like 1234567890-abc123.apps.googleusercontent.com."
        },
    )
    client_secret = serializers.RegexField(
        GOOGLE_CLIENT_SECRET_PATTERN,
        write_only=True,
        help_text="The client's secret; stored encrypted and never returned.",
        error_messages={"invalid": "Expected a Google client secret, like GOCSPX-...."},
    )
    daily_uploads = serializers.IntegerField(
        min_value=1,
        max_value=MAX_DAILY_UPLOADS,
        required=False,
        help_text="videos.insert calls the project may make a day (default: YouTube's 100).",
    )
    daily_units = serializers.IntegerField(
        min_value=1,
        max_value=MAX_DAILY_UNITS,
        required=False,
        help_text="YouTube Data API units the project may spend a day (default: 10000).",
    )
