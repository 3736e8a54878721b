from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from core.wire import datetime_wire, uuid_wire
from providers.platforms import Platform
from uploads.models import Job, JobStatus, WaitingReason, waiting_for


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


# The fields of a job's representation that are columns of its row.
_JOB_FIELDS_STORED = (
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
)
# The columns a job's representation reads (``waiting_for`` comes from the last two).
JOB_WIRE_COLUMNS = (*_JOB_FIELDS_STORED, "run_after", "waiting_reason")


class JobSerializer(serializers.ModelSerializer):
    channel_id = serializers.UUIDField(read_only=True, allow_null=True)
    error = JobErrorSerializer(allow_null=True, read_only=True)
    result = JobResultSerializer(allow_null=True, read_only=True)
    waiting_for = JobWaitingForSerializer(allow_null=True, read_only=True)

    class Meta:
        model = Job
        fields = [*_JOB_FIELDS_STORED, "waiting_for"]
        read_only_fields = fields

    def to_representation(self, instance: Job | Mapping[str, Any]) -> dict[str, Any]:
        """The fields above built directly (see ``core.wire``), from a job or from a row of
        its ``JOB_WIRE_COLUMNS`` (the jobs list reads rows: no model is built)."""
        if not isinstance(instance, Mapping):
            instance = {column: getattr(instance, column) for column in JOB_WIRE_COLUMNS}
        return job_wire(instance)


def job_wire(row: Mapping[str, Any]) -> dict[str, Any]:
    """A job as the API shows it (snake_case: the renderer camelCases), from its columns."""
    error, result = row["error"], row["result"]
    waiting = waiting_for(row["status"], row["waiting_reason"], row["run_after"])
    return {
        "id": str(row["id"]),
        "status": row["status"],
        "progress": row["progress"],
        "platform": row["platform"],
        "channel_id": uuid_wire(row["channel_id"]),
        "title": row["title"],
        "description": row["description"],
        "asset_url": row["asset_url"],
        "scheduled_at": datetime_wire(row["scheduled_at"]),
        "created_at": datetime_wire(row["created_at"]),
        "started_at": datetime_wire(row["started_at"]),
        "finished_at": datetime_wire(row["finished_at"]),
        "attempts": row["attempts"],
        "error": None if error is None else {"code": error["code"], "message": error["message"]},
        "result": (
            None if result is None else {"provider_id": result["provider_id"], "url": result["url"]}
        ),
        "waiting_for": (
            None
            if waiting is None
            else {"reason": waiting["reason"], "until": datetime_wire(waiting["until"])}
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
