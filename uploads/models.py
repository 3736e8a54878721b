from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.owned_models import OwnedQuerySet
from providers.platforms import Platform


class JobStatus(models.TextChoices):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


class WaitingReason(models.TextChoices):
    """Why a QUEUED job holds back until ``run_after`` (docs/api.md ``waitingFor.reason``).

    Empty (no reason) is a job that simply waits for its ``scheduledAt``.
    """

    RETRY = "retry", "back-off after a transient error"
    PLATFORM_QUOTA = "platform_quota", "the platform's daily quota is spent until its reset"


def waiting_for(status: str, reason: str, run_after: datetime | None) -> dict[str, Any] | None:
    """``{reason, until}`` while a QUEUED job is held back for a reason, else ``None`` (the
    ``waiting_for`` of a job, from its columns: list pages read columns, not models)."""
    if status != JobStatus.QUEUED or not reason or run_after is None:
        return None
    if run_after <= timezone.now():
        return None
    return {"reason": reason, "until": run_after}


def waits_end(rows: Iterable[Mapping[str, Any]]) -> datetime | None:
    """The first moment one of these job rows stops waiting (its ``waiting_for`` changes with
    time alone), or ``None``."""
    waits = (waiting_for(row["status"], row["waiting_reason"], row["run_after"]) for row in rows)
    return min((wait["until"] for wait in waits if wait is not None), default=None)


class Job(models.Model):
    """One upload of one asset to one channel. This row, not the Celery message, is the truth."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs"
    )
    channel = models.ForeignKey(
        "channels_app.Channel", on_delete=models.SET_NULL, null=True, related_name="jobs"
    )
    platform = models.CharField(max_length=32, choices=Platform.choices)
    asset_url = models.URLField(max_length=2048)
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    error = models.JSONField(null=True, blank=True)  # {code, message}
    result = models.JSONField(null=True, blank=True)  # {providerId, url}
    idempotency_key = models.CharField(max_length=255, blank=True)
    # sha256 of the request an Idempotency-Key was first used with: a replay must match it.
    idempotency_fingerprint = models.CharField(max_length=64, blank=True)
    # Earliest moment a worker may start: scheduledAt (minus the platform's lead time), or the
    # end of a retry back-off. Null means now.
    run_after = models.DateTimeField(null=True, blank=True)
    # Why ``run_after`` holds the job back (``waitingFor``); empty for a scheduled job.
    waiting_reason = models.CharField(max_length=32, choices=WaitingReason.choices, blank=True)
    # The claim of the worker running the job: an id that fences its writes, and the moment the
    # claim lapses unless its heartbeat renews it (stale recovery takes the job back then).
    lease_id = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # The platform's resumable upload session, so a retried or re-delivered job resumes it.
    upload_session_uri = models.TextField(blank=True)
    # First day of the month whose quota slot this job holds; null once the slot is given back.
    quota_period = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="job_progress_0_100"),
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values), name="job_status_valid"
            ),
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="job_idempotency_key_per_user",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="job_user_recent"),
            models.Index(fields=["user", "updated_at"], name="job_user_updated"),
            # The metrics overview counts a user's jobs by status from this index alone.
            models.Index(fields=["user", "status"], name="job_user_status"),
            models.Index(fields=["status", "scheduled_at"], name="job_due"),
            models.Index(fields=["status", "run_after"], name="job_runnable"),
            models.Index(fields=["status", "updated_at"], name="job_stale"),
            models.Index(fields=["status", "lease_expires_at"], name="job_lease"),
        ]

    def __str__(self) -> str:
        return f"{self.platform} job {self.id} ({self.status})"

    @property
    def waiting_for(self) -> dict[str, Any] | None:
        """``{reason, until}`` while a QUEUED job is held back for a reason, else ``None``."""
        return waiting_for(self.status, self.waiting_reason, self.run_after)


class StoredAsset(models.Model):
    """A file a user uploads through presign into our own storage (local or S3)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stored_assets"
    )
    key = models.CharField(max_length=512, unique=True)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size_bytes = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    uploaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="asset_user_recent")]

    def __str__(self) -> str:
        return self.key
