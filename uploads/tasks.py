"""Celery tasks: thin, idempotent wrappers over the services (the job row is the truth)."""

from __future__ import annotations

from celery import shared_task

from uploads.services import jobs_dispatch_due, run_job


@shared_task(
    bind=True,
    acks_late=True,  # a worker killed mid-job leaves the message to be delivered again
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=None,  # the limit is UPLOAD_MAX_ATTEMPTS, counted on the job row
)
def run_job_task(self, job_id: str) -> str:
    outcome = run_job(job_id=job_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(ignore_result=True)
def dispatch_due_jobs() -> int:
    """Beat: re-send jobs that are due, never picked up, or whose worker died."""
    return len(jobs_dispatch_due())
