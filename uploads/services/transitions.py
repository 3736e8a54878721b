"""The conditional UPDATEs that end a job, shared by the pipeline, recovery and user actions.

A job holds one quota slot of its month from acceptance (``quota_period`` set) until it ends
FAILED or CANCELED, when the same conditional update clears the period and the slot is given
back, exactly once.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from billing.services import upload_slot_release
from uploads.events import publish_job_event_on_commit
from uploads.models import Job, JobStatus

CHANNEL_DISCONNECTED = {"code": "channel_disconnected", "message": "The channel was disconnected."}
"""The error of a job canceled because its channel was disconnected before it started."""


def job_end_unsuccessfully(
    *, running: QuerySet[Job], job: Job, status: str, error: dict | None
) -> bool:
    """Move ``running`` (one row, conditioned on its expected state) to FAILED or CANCELED and
    give the job's quota slot back. Returns whether this call ended the job."""
    now = timezone.now()
    with transaction.atomic():
        ended = running.update(
            status=status, error=error, finished_at=now, updated_at=now, quota_period=None
        )
        if ended and job.quota_period is not None:
            upload_slot_release(user_id=job.user_id, period=job.quota_period)
    if ended:
        publish_job_event_on_commit(job.pk)
    return bool(ended)


def job_fail(*, running: QuerySet[Job], job: Job, error: dict) -> bool:
    """End ``running`` as FAILED with ``error`` (see :func:`job_end_unsuccessfully`)."""
    return job_end_unsuccessfully(running=running, job=job, status=JobStatus.FAILED, error=error)
