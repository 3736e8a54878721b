from __future__ import annotations

from rest_framework import serializers

from webhooks.models import WebhookDelivery, WebhookEndpoint


class EndpointInputSerializer(serializers.Serializer):
    # Not a URLField: every refusal of a webhook URL is reported as invalid_webhook_url.
    url = serializers.CharField(max_length=2048)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


class EndpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "enabled", "created_at", "disabled_at"]
        read_only_fields = fields


class CreatedEndpointSerializer(EndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="whsec_ + base64 signing key; shown in this answer only."
    )

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    last_status = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="HTTP status of the last attempt's answer."
    )

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_type",
            "job_id",
            "attempts",
            "last_status",
            "delivered_at",
            "next_attempt_at",
        ]
        read_only_fields = fields


class DeliveryPageSerializer(serializers.Serializer):
    """The paginated answer of the delivery log (for the schema)."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DeliverySerializer(many=True)
