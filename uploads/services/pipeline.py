"""Running one job: claim it, hand its platform a ``PublishRequest``, record how it ended.

The pipeline owns every side effect: it decrypts the channel's grant, opens the asset, saves
progress (each report is also the heartbeat) and the platform's resumable session through the
callbacks it passes, and ends the job. The provider only sees plain values and a stream.
"""

from __future__ import annotations

import io
import logging
import mimetypes
import random
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit
from uuid import UUID

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from channels_app.models import Channel
from channels_app.services.grants import (
    channel_grant_for_upload,
    channel_grant_replace,
    channel_mark_needs_reauth,
)
from providers.base import (
    FeedDirectoryProvider,
    OAuthProvider,
    Provider,
    PublishRequest,
    PublishResult,
)
from providers.errors import GrantRevokedError, ProviderError, TransientProviderError
from providers.registry import get_provider
from uploads.asset_stream import asset_stream_open
from uploads.events import publish_job_event_on_commit
from uploads.models import Job, JobStatus
from uploads.services.feed_publish import feed_episode_publish
from uploads.services.transitions import CHANNEL_DISCONNECTED, job_end_unsuccessfully, job_fail

logger = logging.getLogger(__name__)


class JobLost(Exception):
    """The job was taken from this worker (stale recovery, cancel); stop without writing."""


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


def _job_claim(job_id: UUID) -> Job | None:
    now = timezone.now()
    claimed = (
        Job.objects.filter(pk=job_id, status=JobStatus.QUEUED)
        .filter(Q(run_after__isnull=True) | Q(run_after__lte=now))
        .update(
            status=JobStatus.RUNNING,
            attempts=F("attempts") + 1,
            started_at=Coalesce(F("started_at"), Value(now)),
            updated_at=now,
        )
    )
    if not claimed:
        return None
    publish_job_event_on_commit(job_id)
    return Job.objects.select_related("channel", "user").get(pk=job_id)


def job_session_save(*, job: Job, session_uri: str) -> None:
    """Remember the platform's resumable upload session of a running job."""
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
        upload_session_uri=session_uri, updated_at=timezone.now()
    )
    job.upload_session_uri = session_uri


def _publish(*, provider: Provider, channel: Channel, job: Job, on_progress) -> PublishResult:
    """Decrypt the grant, open the asset and hand the platform a plain ``PublishRequest``."""
    if isinstance(provider, FeedDirectoryProvider):  # an episode of the show's hosted feed
        return feed_episode_publish(provider=provider, channel=channel, job=job)
    if not provider.uploads:
        raise provider.upload_unsupported()
    refresh_token = channel_grant_for_upload(channel) if isinstance(provider, OAuthProvider) else ""
    with asset_stream_open(job.asset_url) as stream:
        size = stream.seek(0, io.SEEK_END)
        stream.seek(0)
        media_type = mimetypes.guess_type(urlsplit(job.asset_url).path)[0]
        request = PublishRequest(
            title=job.title,
            description=job.description,
            scheduled_at=job.scheduled_at,
            media_type=media_type or "application/octet-stream",
            size_bytes=size,
            stream=stream,
            refresh_token=refresh_token,
            resume_session=job.upload_session_uri,
            on_grant_rotated=lambda token: channel_grant_replace(channel, token),
        )
        return provider.publish(
            request,
            on_progress=on_progress,
            on_session=lambda session_uri: job_session_save(job=job, session_uri=session_uri),
        )


def run_job(*, job_id: UUID | str) -> RunOutcome:
    """Run one job: claim it, publish through its provider, record how it ended.

    Safe to call any number of times: only the call that moves the job from QUEUED to RUNNING
    does anything, and a worker whose job was taken away stops at its next progress report.
    A job whose channel was disconnected meanwhile ends CANCELED (its slot given back).
    """
    job = _job_claim(UUID(str(job_id)))
    if job is None:
        current = Job.objects.filter(pk=job_id).values_list("status", flat=True).first()
        return RunOutcome(status=current or "missing")
    attempt = job.attempts
    mine = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=attempt)
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
        # Every report is also the heartbeat that keeps stale recovery away.
        if not mine.update(progress=max(percent, last_progress), updated_at=timezone.now()):
            raise JobLost(str(job.pk))
        if percent > last_progress:
            last_progress = percent
            publish_job_event_on_commit(job.pk)

    try:
        provider = get_provider(job.platform)
        result = _publish(provider=provider, channel=channel, job=job, on_progress=on_progress)
    except JobLost:
        logger.warning("job %s: taken from this worker, stopping", job.pk)
        return RunOutcome(status="lost")
    except TransientProviderError as exc:
        return _job_after_transient(job=job, running=mine, exc=exc)
    except SoftTimeLimitExceeded:
        # A very long upload ran out of task time: the next attempt resumes the session.
        timeout = TransientProviderError("The upload took longer than one task may run.")
        return _job_after_transient(job=job, running=mine, exc=timeout)
    except ProviderError as exc:
        if isinstance(exc, GrantRevokedError):
            # Before the job ends: whoever sees the job FAILED sees the channel NEEDS_REAUTH.
            channel_mark_needs_reauth(channel=channel)
        job_fail(running=mine, job=job, error={"code": exc.code, "message": exc.message})
        logger.info("job %s failed: %s", job.pk, exc.code)
        return RunOutcome(status=JobStatus.FAILED)
    except Exception:
        # A bug, not a platform answer: fail visibly rather than retry forever.
        logger.exception("job %s: unexpected error", job.pk)
        error = {"code": "internal_error", "message": "The upload failed unexpectedly."}
        job_fail(running=mine, job=job, error=error)
        return RunOutcome(status=JobStatus.FAILED)
    now = timezone.now()
    if mine.update(
        status=JobStatus.SUCCEEDED,
        progress=100,
        result={"provider_id": result.provider_id, "url": result.url},
        error=None,
        finished_at=now,
        updated_at=now,
        upload_session_uri="",
    ):
        publish_job_event_on_commit(job.pk)
    return RunOutcome(status=JobStatus.SUCCEEDED)


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
        updated_at=now,
    ):
        publish_job_event_on_commit(job.pk)
    logger.info("job %s: transient failure (%s), retry in %.1fs", job.pk, exc.code, delay)
    return RunOutcome(status=JobStatus.QUEUED, retry_in=delay)
