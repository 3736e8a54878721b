from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.wire import datetime_wire, uuid_wire
from providers.platforms import Platform
from uploads.models import Job, JobStatus, WaitingReason


class UploadInputSerializer(serializers.Serializer):
    channel_id = serializers.UUIDField()
    # Not a URLField: every refusal of an asset URL is reported as invalid_asset_url.
    asset_url = serializers.CharField(max_length=2048)
    title = serializers.CharField(max_length=500)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    platform = serializers.ChoiceField(choices=Platform.choices, required=False)
    scheduled_at = serializers.DateTimeField(required=False, allow_null=True)


class UploadAcceptedSerializer(serializers.Serializer):
    job_id = serializers.UUIDField(source="id")
    status = serializers.CharField()


class JobErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class JobResultSerializer(serializers.Serializer):
    provider_id = serializers.CharField()
    url = serializers.CharField()


class JobWaitingForSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=WaitingReason.choices,
        help_text="Why a due QUEUED job has not started: `retry` (back-off after a transient "
        "error).",
    )
    until = serializers.DateTimeField(help_text="When the job may start.")


class JobSerializer(serializers.ModelSerializer):
    channel_id = serializers.UUIDField(read_only=True, allow_null=True)
    error = JobErrorSerializer(allow_null=True, read_only=True)
    result = JobResultSerializer(allow_null=True, read_only=True)
    waiting_for = JobWaitingForSerializer(allow_null=True, read_only=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "status",
            "progress",
            "platform",
            "channel_id",
            "title",
            "description",
            "asset_url",
            "scheduled_at",
            "created_at",
            "started_at",
            "finished_at",
            "attempts",
            "error",
            "result",
            "waiting_for",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Job) -> dict[str, Any]:
        """The fields above built directly (the jobs list's hot path; see ``core.wire``)."""
        error, result, waiting_for = instance.error, instance.result, instance.waiting_for
        return {
            "id": str(instance.id),
            "status": instance.status,
            "progress": instance.progress,
            "platform": instance.platform,
            "channel_id": uuid_wire(instance.channel_id),
            "title": instance.title,
            "description": instance.description,
            "asset_url": instance.asset_url,
            "scheduled_at": datetime_wire(instance.scheduled_at),
            "created_at": datetime_wire(instance.created_at),
            "started_at": datetime_wire(instance.started_at),
            "finished_at": datetime_wire(instance.finished_at),
            "attempts": instance.attempts,
            "error": None
            if error is None
            else {"code": error["code"], "message": error["message"]},
            "result": (
                None
                if result is None
                else {"provider_id": result["provider_id"], "url": result["url"]}
            ),
            "waiting_for": (
                None
                if waiting_for is None
                else {"reason": waiting_for["reason"], "until": datetime_wire(waiting_for["until"])}
            ),
        }


class JobListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=JobStatus.choices, required=False)
    channel_id = serializers.UUIDField(required=False)
    updated_since = serializers.DateTimeField(required=False)
    page = serializers.IntegerField(required=False, min_value=1)


class PresignInputSerializer(serializers.Serializer):
    filename = serializers.CharField(max_length=255)
    content_type = serializers.CharField(max_length=100)
    size_bytes = serializers.IntegerField(min_value=1)


class PresignOutputSerializer(serializers.Serializer):
    upload_url = serializers.CharField()
    method = serializers.CharField()
    headers = serializers.DictField(child=serializers.CharField())
    asset_url = serializers.CharField()
    expires_at = serializers.DateTimeField()
