"""Running one job: claim it, hand its platform a ``PublishRequest``, record how it ended.

The pipeline owns every side effect: it decrypts the channel's grant, opens the asset, saves
progress and the platform's resumable session through the callbacks it passes, and ends the
job. The provider only sees plain values and a stream. While the job runs, its lease
(``uploads.services.lease``) is renewed by a heartbeat, and every write is fenced by it; so the
run's events are built from the job it holds, kept in step with each of its writes, without
reading the row again.

A database error during a run (deadlock, lost connection, statement timeout) is transient: the
worker drops the broken connection and hands the job back to the queue as soon as the database
answers, without using up an attempt; the next run resumes the platform's session.
"""

from __future__ import annotations

import io
import logging
import mimetypes
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from uuid import UUID, uuid4

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from channels_app.models import Channel
from channels_app.services.google_projects import channel_provider
from channels_app.services.grants import (
    channel_grant_for_upload,
    channel_grant_replace,
    channel_mark_needs_reauth,
)
from channels_app.services.quota_calls import channel_call_charger
from providers.base import (
    FeedDirectoryProvider,
    OAuthProvider,
    Provider,
    PublishRequest,
    PublishResult,
)
from providers.errors import (
    GrantRevokedError,
    ProviderError,
    QuotaExhaustedError,
    TransientProviderError,
)
from quotas.services import quota_next_reset
from uploads import events
from uploads.asset_stream import asset_stream_open
from uploads.models import Job, JobStatus, WaitingReason
from uploads.services.feed_publish import feed_episode_publish
from uploads.services.lease import (
    DATABASE_ERRORS,
    JobLease,
    JobLost,
    LeasedStream,
    lease_expiry,
)
from uploads.services.transitions import CHANNEL_DISCONNECTED, job_end_unsuccessfully, job_fail

logger = logging.getLogger(__name__)

HAND_BACK_MAX_PAUSE = 5.0
"""Longest pause, in seconds, between attempts to reach the database to hand a job back."""


@dataclass(frozen=True)
class RunOutcome:
    status: str
    retry_in: float | None = None


def retry_delay(attempt: int) -> float:
    """Exponential back-off with jitter: random in [c/2, c] for c = base * 2^(n-1), capped."""
    ceiling = min(
        settings.UPLOAD_RETRY_MAX_DELAY, settings.UPLOAD_RETRY_BASE_DELAY * 2 ** (attempt - 1)
    )
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security


def _job_claim(job_id: UUID, owner_id: UUID, lease_id: UUID) -> bool:
    """Move a due QUEUED job to RUNNING under ``lease_id``; whether it is ours to run."""
    now = timezone.now()
    claimed = (
        Job.objects.of_owner(owner_id)
        .filter(pk=job_id, status=JobStatus.QUEUED)
        .filter(Q(run_after__isnull=True) | Q(run_after__lte=now))
        .update(
            status=JobStatus.RUNNING,
            attempts=F("attempts") + 1,
            started_at=Coalesce(F("started_at"), Value(now)),
            waiting_reason="",
            lease_id=lease_id,
            lease_expires_at=lease_expiry(),
            updated_at=now,
        )
    )
    return bool(claimed)


def job_session_save(*, job: Job, lease: JobLease, session_uri: str) -> None:
    """Remember the platform's resumable upload session of the job ``lease`` holds."""
    lease.check()
    if not lease.running().update(upload_session_uri=session_uri, updated_at=timezone.now()):
        raise JobLost(str(job.pk))
    job.upload_session_uri = session_uri


def _publish(
    *, provider: Provider, channel: Channel, job: Job, lease: JobLease, on_progress
) -> PublishResult:
    """Decrypt the grant, open the asset and hand the platform a plain ``PublishRequest``."""
    if isinstance(provider, FeedDirectoryProvider):  # an episode of the show's hosted feed
        return feed_episode_publish(provider=provider, channel=channel, job=job)
    if not provider.uploads:
        raise provider.upload_unsupported()
    refresh_token = channel_grant_for_upload(channel) if isinstance(provider, OAuthProvider) else ""
    with asset_stream_open(job.asset_url) as asset:
        stream = LeasedStream(asset, lease)
        size = stream.seek(0, io.SEEK_END)
        stream.seek(0)
        media_type = mimetypes.guess_type(urlsplit(job.asset_url).path)[0]
        request = PublishRequest(
            title=job.title,
            description=job.description,
            scheduled_at=job.scheduled_at,
            media_type=media_type or "application/octet-stream",
            size_bytes=size,
            stream=stream,  # type: ignore[arg-type]
            refresh_token=refresh_token,
            resume_session=job.upload_session_uri,
            on_grant_rotated=lambda token: channel_grant_replace(channel, token),
            before_call=channel_call_charger(channel=channel, provider=provider),
        )
        return provider.publish(
            request,
            on_progress=on_progress,
            on_session=lambda uri: job_session_save(job=job, lease=lease, session_uri=uri),
        )


def run_job(*, job_id: UUID | str) -> RunOutcome:
    """Run one job: claim it, publish through its provider, record how it ended.

    Safe to call any number of times: only the call that moves the job from QUEUED to RUNNING
    does anything, and a worker whose job was taken away stops before its next write.
    A job whose channel was disconnected meanwhile ends CANCELED (its slot given back).
    """
    job_id, lease_id = UUID(str(job_id)), uuid4()
    # Its owner first: every write of the run names it (core.owned_models).
    owner_id = Job.objects.filter(pk=job_id).values_list("user_id", flat=True).first()
    if owner_id is None:
        return RunOutcome(status="missing")
    if not _job_claim(job_id, owner_id, lease_id):
        current = Job.objects.filter(pk=job_id).values_list("status", flat=True).first()
        return RunOutcome(status=current or "missing")
    lease = JobLease(job_id=job_id, owner_id=owner_id, lease_id=lease_id)
    with lease.heartbeat():
        try:
            job = Job.objects.select_related("channel__google_project", "user").get(pk=job_id)
            events.publish_job_event(job)  # job:update, RUNNING
            return _job_run_claimed(job=job, lease=lease)
        except DATABASE_ERRORS as exc:
            logger.warning("job %s: database error while running (%s)", job_id, type(exc).__name__)
    return _job_hand_back(lease=lease)


def _job_run_claimed(*, job: Job, lease: JobLease) -> RunOutcome:
    """The run of a job this worker has claimed under ``lease``."""
    mine = lease.running()
    channel = job.channel
    if channel is None:
        job_end_unsuccessfully(
            running=mine, job=job, status=JobStatus.CANCELED, error=CHANNEL_DISCONNECTED
        )
        return RunOutcome(status=JobStatus.CANCELED)
    last_progress = job.progress

    def on_progress(percent: int) -> None:
        nonlocal last_progress
        percent = max(1, min(99, int(percent)))
        lease.check()
        if not mine.update(progress=max(percent, last_progress), updated_at=timezone.now()):
            raise JobLost(str(job.pk))
        if percent > last_progress:
            last_progress = job.progress = percent
            events.publish_job_event(job)

    try:
        # The platform acting as the client that obtained the channel's grant (the creator's
        # own Google project, if any).
        provider = channel_provider(channel)
        result = _publish(
            provider=provider, channel=channel, job=job, lease=lease, on_progress=on_progress
        )
    except JobLost:
        logger.warning("job %s: taken from this worker, stopping", job.pk)
        return RunOutcome(status="lost")
    except QuotaExhaustedError as exc:
        return _job_wait_for_quota(job=job, running=mine, until=exc.until or quota_next_reset())
    except TransientProviderError as exc:
        return _job_after_transient(job=job, running=mine, exc=exc)
    except SoftTimeLimitExceeded:
        # A very long upload ran out of task time: the next attempt resumes the session.
        timeout = TransientProviderError("The upload took longer than one task may run.")
        return _job_after_transient(job=job, running=mine, exc=timeout)
    except ProviderError as exc:
        # One transaction: whoever sees the job FAILED sees all that came with it.
        with transaction.atomic():
            if isinstance(exc, GrantRevokedError):
                channel_mark_needs_reauth(channel=channel)
            job_fail(running=mine, job=job, error={"code": exc.code, "message": exc.message})
        logger.info("job %s failed: %s", job.pk, exc.code)
        return RunOutcome(status=JobStatus.FAILED)
    except DATABASE_ERRORS:
        raise  # transient: run_job hands the job back
    except Exception:
        # A bug, not a platform answer: fail visibly rather than retry forever.
        logger.exception("job %s: unexpected error", job.pk)
        error = {"code": "internal_error", "message": "The upload failed unexpectedly."}
        job_fail(running=mine, job=job, error=error)
        return RunOutcome(status=JobStatus.FAILED)
    now = timezone.now()
    succeeded = {
        "status": JobStatus.SUCCEEDED,
        "progress": 100,
        "result": {"provider_id": result.provider_id, "url": result.url},
        "error": None,
        "finished_at": now,
        "updated_at": now,
        "upload_session_uri": "",
    }
    if mine.update(**succeeded):
        for field, value in succeeded.items():
            setattr(job, field, value)
        events.publish_job_event(job)
    return RunOutcome(status=JobStatus.SUCCEEDED)


def _job_hand_back(*, lease: JobLease) -> RunOutcome:
    """Put a job interrupted by a database error back in the queue, due now.

    Tries again on a fresh connection until the database answers or the lease runs out (stale
    recovery takes the job back then). The interrupted attempt is not counted: the platform
    did not fail. The outcome asks the task to run again at once.
    """
    pause = 0.25
    while True:
        connection.close()  # a broken connection is never reused; the next query reconnects
        try:
            handed_back = lease.running().update(
                status=JobStatus.QUEUED,
                attempts=F("attempts") - 1,
                run_after=None,
                waiting_reason="",
                lease_id=None,
                lease_expires_at=None,
                updated_at=timezone.now(),
            )
        except DATABASE_ERRORS:
            try:
                lease.check()
            except JobLost:
                logger.warning("job %s: database still away, left to stale recovery", lease.job_id)
                return RunOutcome(status="interrupted")
            time.sleep(pause)
            pause = min(pause * 2, HAND_BACK_MAX_PAUSE)
            continue
        if not handed_back:
            return RunOutcome(status="lost")
        events.publish_job_event_on_commit(lease.job_id)
        logger.info("job %s: handed back to the queue after a database error", lease.job_id)
        return RunOutcome(status=JobStatus.QUEUED, retry_in=0.0)


def _job_wait_for_quota(*, job: Job, running: QuerySet[Job], until: datetime) -> RunOutcome:
    """Queue a job again until the platform's quota resets, without using up an attempt.

    Not a failure: the platform refused nothing of this upload. The outcome asks the task for
    no retry of its own: the beat sends the job again once ``until`` has passed.
    """
    now = timezone.now()
    if running.update(
        status=JobStatus.QUEUED,
        attempts=F("attempts") - 1,
        run_after=until,
        waiting_reason=WaitingReason.PLATFORM_QUOTA,
        lease_id=None,
        lease_expires_at=None,
        updated_at=now,
    ):
        events.publish_job_event_on_commit(job.pk)
    logger.info("job %s: waiting for the platform's quota until %s", job.pk, until.isoformat())
    return RunOutcome(status=JobStatus.QUEUED)


def _job_after_transient(
    *, job: Job, running: QuerySet[Job], exc: TransientProviderError
) -> RunOutcome:
    error = {"code": exc.code, "message": exc.message}
    if job.attempts >= settings.UPLOAD_MAX_ATTEMPTS:
        job_fail(running=running, job=job, error=error)
        return RunOutcome(status=JobStatus.FAILED)
    delay = retry_delay(job.attempts)
    now = timezone.now()
    if running.update(
        status=JobStatus.QUEUED,
        error=error,
        run_after=now + timedelta(seconds=delay),
        waiting_reason=WaitingReason.RETRY,
        lease_id=None,
        lease_expires_at=None,
        updated_at=now,
    ):
        events.publish_job_event_on_commit(job.pk)
    logger.info("job %s: transient failure (%s), retry in %.1fs", job.pk, exc.code, delay)
    return RunOutcome(status=JobStatus.QUEUED, retry_in=delay)
