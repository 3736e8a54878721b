"""Handing an accepted job to a worker: the Celery task with Redis, else the embedded runner."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from uploads.models import Job, JobStatus
from uploads.runner import embedded_runner
from uploads.tasks import run_job_task

logger = logging.getLogger(__name__)


def job_dispatch(*, job: Job) -> None:
    """Hand ``job`` to a worker if it is due soon; the beat (or the embedded runner's next
    pass, see ``uploads.services.recovery``) finds later ones.

    Called after commit. With Redis the Celery task gets it (a countdown when due within the
    dispatch interval); in embedded mode the in-process runner is woken.
    """
    now = timezone.now()
    delay = (job.run_after - now).total_seconds() if job.run_after else 0.0
    if delay > settings.UPLOAD_DISPATCH_INTERVAL.total_seconds():
        return
    if settings.REDIS_URL:
        try:
            run_job_task.apply_async(args=[str(job.pk)], countdown=max(0.0, delay))
        except KombuOperationalError:
            # The job is committed; the beat's next pass sends it once Redis is back: a
            # run_after later than its updated_at makes it due again (see recovery), instead of
            # waiting UPLOAD_STALE_AFTER like a lost message.
            Job.objects.of_owner(job.user_id).filter(
                pk=job.pk, status=JobStatus.QUEUED, run_after__isnull=True
            ).update(run_after=timezone.now())
            logger.warning("job %s: queue unavailable, left for the next dispatch pass", job.pk)
    else:
        embedded_runner.wake()
