"""Celery tasks: thin, idempotent wrappers over the services (the job row is the truth)."""

from __future__ import annotations

from uuid import UUID

from celery import shared_task
from django.db import connection

from uploads.services.lease import DATABASE_ERRORS
from uploads.services.pipeline import run_job
from uploads.services.recovery import jobs_recover_and_collect_due


@shared_task(
    bind=True,
    acks_late=True,  # a worker killed mid-job leaves the message to be delivered again
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=None,  # the limit is UPLOAD_MAX_ATTEMPTS, counted on the job row
)
def run_job_task(self, job_id: str) -> str:
    try:
        outcome = run_job(job_id=job_id)
    except DATABASE_ERRORS as exc:
        # The database failed before the job was claimed: nothing changed; try again soon on a
        # new connection (a failure after the claim is handled by run_job itself).
        connection.close()
        raise self.retry(countdown=min(2**self.request.retries, 30), exc=exc) from exc
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


def jobs_dispatch_due() -> list[UUID]:
    """Send every due or recovered job to the queue again (a claim makes extras no-ops)."""
    ids = jobs_recover_and_collect_due()
    for job_id in ids:
        run_job_task.apply_async(args=[str(job_id)])
    return ids


@shared_task(ignore_result=True)
def dispatch_due_jobs() -> int:
    """Beat: re-send jobs that are due, never picked up, or whose worker died."""
    return len(jobs_dispatch_due())
