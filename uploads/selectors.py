"""Reads of jobs, always scoped to the requesting user, at a fixed number of queries."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from core.errors import NotFound
from core.storage import get_storage
from uploads.models import Job, StoredAsset

if TYPE_CHECKING:
    from accounts.models import User


def job_get(*, user: User, job_id: UUID) -> Job:
    """The user's job; another user's job is as absent as a missing one (404)."""
    job = Job.objects.filter(user=user, pk=job_id).select_related("user").first()
    if job is None:
        raise NotFound("Job not found.")
    return job


def job_list(
    *,
    user: User,
    status: str | None = None,
    channel_id: UUID | None = None,
    updated_since: datetime | None = None,
) -> QuerySet[Job]:
    """The user's jobs, newest first. ``updated_since`` (exclusive) lets a realtime client
    catch up on what changed while it was away. The job shape needs no other table."""
    jobs = Job.objects.filter(user=user)
    if status:
        jobs = jobs.filter(status=status)
    if channel_id:
        jobs = jobs.filter(channel_id=channel_id)
    if updated_since:
        jobs = jobs.filter(updated_at__gt=updated_since)
    return jobs.order_by("-created_at", "-pk")


def storage_used_bytes(*, user: User) -> int:
    """Bytes held or reserved by the user's presigned uploads: the storage figure of the plan
    limit and of the metrics.

    Where the storage sees uploads arrive (local), a presign whose URL expired without its
    file stops counting; an S3 presign is counted from the moment it is handed out.
    """
    assets = StoredAsset.objects.filter(user=user)
    if get_storage().confirms_uploads:
        unexpired = timezone.now() - settings.PRESIGN_TTL
        assets = assets.filter(Q(uploaded_at__isnull=False) | Q(created_at__gt=unexpired))
    total = assets.aggregate(total=Sum("size_bytes"))["total"]
    return int(total or 0)
