from __future__ import annotations

from typing import Any

from rest_framework import serializers

from channels_app.models import Channel, ChannelStatus
from core.wire import datetime_wire
from providers.platforms import Platform


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
            "connected_at",
            "last_refreshed_at",
        ]
        read_only_fields = fields

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
        }


class ConnectInputSerializer(serializers.Serializer):
    platform = serializers.ChoiceField(Platform.choices)
    show_id = serializers.UUIDField(
        required=False,
        default=None,
        help_text="Podcast directories only: the user's show this channel is the listing of.",
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
