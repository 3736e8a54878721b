"""A stand-in for the upload pipeline's Celery task, for the realtime tests.

It changes a Job row the way the pipeline does (one short transaction per change, the row
locked, ``publish_job_event`` inside the transaction so the event leaves after the commit).
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from uploads.events import publish_job_event
from uploads.models import Job, JobStatus

PROGRESS_STEPS = (25, 50, 75)
RESULT = {"provider_id": "vid-123", "url": "https://youtu.be/vid-123"}
ERROR = {"code": "provider_rejected", "message": "The platform refused the upload."}


@shared_task
def advance_job(job_id: str, outcome: str = "succeeded") -> None:
    """Run a job through RUNNING 25/50/75 % to SUCCEEDED, or to FAILED when ``outcome`` says so."""
    _change(job_id, status=JobStatus.RUNNING, progress=0, started_at=timezone.now())
    for progress in PROGRESS_STEPS:
        _change(job_id, progress=progress)
    if outcome == "succeeded":
        _change(
            job_id,
            status=JobStatus.SUCCEEDED,
            progress=100,
            result=RESULT,
            finished_at=timezone.now(),
        )
    else:
        _change(job_id, status=JobStatus.FAILED, error=ERROR, finished_at=timezone.now())


def _change(job_id: str, **fields: Any) -> None:
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        for name, value in fields.items():
            setattr(job, name, value)
        job.save(update_fields=[*fields, "updated_at"])
        publish_job_event(job)
