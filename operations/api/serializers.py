from rest_framework import serializers

from uploads.models import JobStatus

# One integer per job status, every status present: {"QUEUED": 3, "RUNNING": 1, ...}.
JobsByStatusSerializer = type(
    "JobsByStatusSerializer",
    (serializers.Serializer,),
    {status: serializers.IntegerField(min_value=0) for status in JobStatus.values},
)


class AdminStatsSerializer(serializers.Serializer):
    users = serializers.IntegerField(min_value=0, help_text="Accounts, operators included.")
    channels = serializers.IntegerField(min_value=0, help_text="Connected channels, any status.")
    jobs = JobsByStatusSerializer(help_text="Jobs of all time by status.")
    queue_depth = serializers.IntegerField(
        min_value=0, help_text="Tasks waiting in the Celery queue (0 in embedded mode)."
    )
