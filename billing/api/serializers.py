from rest_framework import serializers

from billing.models import Plan


class PlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = Plan
        fields = [
            "code",
            "name",
            "channel_limit",
            "upload_quota",
            "storage_limit_bytes",
            "requests_per_minute",
        ]
        read_only_fields = fields


class _Usage(serializers.Serializer):
    channels = serializers.IntegerField()
    uploads = serializers.IntegerField(help_text="Uploads counted this month (UTC).")
    storage_bytes = serializers.IntegerField()
    period_start = serializers.DateField(help_text="First day of the month counted.")


class _Subscription(serializers.Serializer):
    status = serializers.CharField(help_text="Stripe's status: active, trialing, canceled, ...")
    current_period_end = serializers.DateTimeField(allow_null=True)
    cancel_at_period_end = serializers.BooleanField()


class CurrentPlanSerializer(serializers.Serializer):
    plan = PlanSerializer()
    usage = _Usage()
    subscription = _Subscription(allow_null=True)


class CheckoutInputSerializer(serializers.Serializer):
    plan = serializers.SlugField(max_length=32)


class RedirectSerializer(serializers.Serializer):
    url = serializers.URLField()


class WebhookReceivedSerializer(serializers.Serializer):
    received = serializers.BooleanField()
