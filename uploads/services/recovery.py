"""Which jobs a worker should look at now, recovering the ones whose worker died."""

from __future__ import annotations

import logging
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from quotas.services import quota_day_start
from uploads.events import publish_job_event_on_commit
from uploads.models import Job, JobStatus
from uploads.services.transitions import job_fail

logger = logging.getLogger(__name__)


def jobs_recover_and_collect_due(*, every_due: bool = False, limit: int = 500) -> list[UUID]:
    """Recover lost work and return the ids of QUEUED jobs that a worker should look at now.

    - RUNNING jobs whose lease ran out lost their worker (its heartbeat stopped): they go back
      to QUEUED (or FAILED once their attempts are used up).
    - With Redis (the beat), QUEUED jobs that became due since they were last dispatched, or
      were dispatched longer than ``UPLOAD_STALE_AFTER`` ago without being picked up (a lost
      message). Returning a job touches its ``updated_at``, so it is not handed out again at
      every tick.
    - ``every_due`` (the embedded runner, which is the queue itself): every due QUEUED job.

    Due jobs come in fair order (:func:`jobs_in_fair_order`).
    """
    now = timezone.now()
    stale_before = now - settings.UPLOAD_STALE_AFTER
    stale = Job.objects.filter(_lease_lapsed(now=now, stale_before=stale_before))[:limit]
    recovered = [job.pk for job in stale if _job_recover_stale(job=job, now=now)]
    due = Job.objects.filter(status=JobStatus.QUEUED).filter(
        Q(run_after__isnull=True) | Q(run_after__lte=now)
    )
    if not every_due:
        due = due.filter(Q(updated_at__lt=stale_before) | Q(run_after__gt=F("updated_at")))
    picked = list(jobs_in_fair_order(due).values_list("pk", "user_id")[:limit])
    ids = [pk for pk, _ in picked]
    owners = {owner for _, owner in picked}
    Job.objects.of_owners(owners).filter(pk__in=ids, status=JobStatus.QUEUED).update(updated_at=now)
    return recovered + ids


def jobs_in_fair_order(jobs: QuerySet[Job]) -> QuerySet[Job]:
    """``jobs`` in the order they should get a platform's shared daily quota: round-robin by
    creator and platform, so everyone's first uploads of the day go before anyone's twentieth.

    A job's turn is the number of its creator's jobs on that platform started since the last
    quota reset (midnight Pacific time), plus its place among that creator's jobs here
    (oldest first); lower turns first, and the older job first within a turn.
    """
    started_today = (
        Job.objects.filter(
            user=OuterRef("user"),
            platform=OuterRef("platform"),
            started_at__gte=quota_day_start(),
        )
        .order_by()
        .values("user")
        .annotate(count=Count("pk"))
        .values("count")
    )
    place = Window(RowNumber(), partition_by=[F("user"), F("platform")], order_by="created_at")
    return jobs.annotate(turn=place + Coalesce(Subquery(started_today), 0)).order_by(
        "turn", "created_at"
    )


def _lease_lapsed(*, now: datetime, stale_before: datetime) -> Q:
    """RUNNING jobs whose worker stopped renewing its lease (rows claimed before leases
    existed: whose row has not moved for ``UPLOAD_STALE_AFTER``)."""
    return Q(status=JobStatus.RUNNING) & (
        Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True, updated_at__lt=stale_before)
    )


def _job_recover_stale(*, job: Job, now: datetime) -> bool:
    """Queue a stale RUNNING job again (True), or fail it when out of attempts.

    Conditioned on the lease seen: a heartbeat that renewed it meanwhile keeps the job.
    """
    stale_before = now - settings.UPLOAD_STALE_AFTER
    running = Job.objects.of_owner(job.user_id).filter(
        _lease_lapsed(now=now, stale_before=stale_before), pk=job.pk, lease_id=job.lease_id
    )
    if job.attempts >= settings.UPLOAD_MAX_ATTEMPTS:
        error = {"code": "worker_lost", "message": "The worker running this job stopped."}
        job_fail(running=running, job=job, error=error)
        return False
    if not running.update(
        status=JobStatus.QUEUED,
        run_after=None,
        waiting_reason="",
        lease_id=None,
        lease_expires_at=None,
        updated_at=timezone.now(),
    ):
        return False
    logger.warning("job %s: worker lost, queued again", job.pk)
    publish_job_event_on_commit(job.pk)
    return True
