"""Writes of the upload pipeline: accepting, dispatching, running, cancelling, retrying jobs.

The job row is the record of truth; a Celery message (or the embedded runner) only says "look
at this job". Every state change is a conditional ``UPDATE`` on the expected state, so a second
delivery, a late worker or a concurrent cancel changes nothing. A job holds one quota slot of
its month from acceptance (``quota_period`` set) until it ends FAILED or CANCELED, when the
same conditional update clears the period and the slot is given back, exactly once.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from billing.selectors import channel_upload_check
from billing.services import upload_slot_release, upload_slot_reserve, user_storage_limit
from channels_app.models import Channel, ChannelStatus
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.ssrf import UnsafeAssetUrl, resolve_target
from core.storage import InvalidUploadToken, LocalStorage, PresignedPut, get_storage
from providers.base import Provider
from providers.errors import (
    GrantRevokedError,
    ProviderError,
    TransientProviderError,
)
from providers.platforms import Platform
from providers.registry import get_provider
from uploads import selectors
from uploads.events import publish_job_event
from uploads.models import Job, JobStatus, StoredAsset

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

# Platforms that schedule publication themselves (YouTube's publishAt): their upload may start
# up to UPLOAD_LEAD_TIME before scheduledAt while nothing becomes public before it.
NATIVE_SCHEDULING = frozenset({Platform.YOUTUBE})


def _mark_channel_needs_reauth(channel: Channel) -> None:
    # Imported here: channels_app.services imports this module (disconnect cancels jobs).
    from channels_app.services import channel_mark_needs_reauth

    channel_mark_needs_reauth(channel=channel)


def _publish_after_commit(job_id: UUID) -> None:
    def publish() -> None:
        job = Job.objects.filter(pk=job_id).first()
        if job is not None:
            publish_job_event(job)

    # robust: a realtime hiccup is logged by Django and never fails the upload itself.
    transaction.on_commit(publish, robust=True)


# --- accepting ---------------------------------------------------------------------------


@dataclass(frozen=True)
class JobAccepted:
    job: Job
    created: bool


def asset_url_check(*, user: User, asset_url: str) -> None:
    """Refuse (400 ``invalid_asset_url``) what is neither our own upload nor a public https URL."""
    storage = get_storage()
    key = storage.key_for_asset_url(asset_url)
    if key is not None:
        assets = user.stored_assets.filter(key=key)
        if isinstance(storage, LocalStorage):
            # Our own PUT endpoint knows when a file is complete; an object store does not tell.
            assets = assets.filter(uploaded_at__isnull=False)
        if not assets.exists():
            raise InvalidInput(
                "This upload does not exist or is not finished.",
                code="invalid_asset_url",
                attr="asset_url",
            )
        return
    try:
        resolve_target(asset_url)
    except UnsafeAssetUrl as exc:
        raise InvalidInput(str(exc), code="invalid_asset_url", attr="asset_url") from exc


def job_run_after(*, platform: str, scheduled_at: datetime | None) -> datetime | None:
    """When a worker may start a job scheduled for ``scheduled_at`` (``None``: now)."""
    if scheduled_at is None or scheduled_at <= timezone.now():
        return None
    if platform in NATIVE_SCHEDULING:
        return scheduled_at - settings.UPLOAD_LEAD_TIME
    return scheduled_at


def _ensure_channel_active(channel: Channel | None) -> None:
    if channel is None or channel.status != ChannelStatus.ACTIVE:
        raise Conflict("The channel is not active; reconnect it first.", code="channel_not_active")


def _job_check(
    *,
    user: User,
    channel: Channel,
    platform: str | None,
    title: str,
    description: str,
    asset_url: str,
) -> Provider:
    if platform and platform != channel.platform:
        raise InvalidInput(
            f"The channel is a {channel.get_platform_display()} channel, not {platform}.",
            code="platform_mismatch",
            attr="platform",
        )
    provider = get_provider(channel.platform)
    if not provider.uploads:
        raise Conflict(
            f"{provider.name} does not take uploads through the gateway.",
            code="upload_unsupported",
        )
    _ensure_channel_active(channel)
    if not 1 <= len(title) <= provider.title_max_length:
        raise InvalidInput(
            f"{provider.name} titles are 1 to {provider.title_max_length} characters.",
            code="invalid",
            attr="title",
        )
    if len(description) > provider.description_max_length:
        raise InvalidInput(
            f"{provider.name} descriptions are at most {provider.description_max_length} "
            "characters.",
            code="invalid",
            attr="description",
        )
    asset_url_check(user=user, asset_url=asset_url)
    return provider


def job_create(
    *,
    user: User,
    channel_id: UUID,
    asset_url: str,
    title: str,
    description: str = "",
    platform: str | None = None,
    scheduled_at: datetime | None = None,
    idempotency_key: str = "",
) -> JobAccepted:
    """Accept an upload: check it, take a quota slot, create the job, dispatch it on commit.

    With ``idempotency_key``, a repeated call returns the first job (``created=False``).
    """
    if idempotency_key:
        existing = Job.objects.filter(user=user, idempotency_key=idempotency_key).first()
        if existing is not None:
            return JobAccepted(job=existing, created=False)
    channel = Channel.objects.filter(user=user, pk=channel_id).first()
    if channel is None:
        raise NotFound("Channel not found.")
    _job_check(
        user=user,
        channel=channel,
        platform=platform,
        title=title,
        description=description,
        asset_url=asset_url,
    )
    channel_upload_check(user=user, channel_id=channel.pk)
    try:
        with transaction.atomic():
            period = upload_slot_reserve(user=user)
            job = Job.objects.create(
                user=user,
                channel=channel,
                platform=channel.platform,
                asset_url=asset_url,
                title=title,
                description=description,
                scheduled_at=scheduled_at,
                run_after=job_run_after(platform=channel.platform, scheduled_at=scheduled_at),
                idempotency_key=idempotency_key,
                quota_period=period,
            )
            transaction.on_commit(lambda: job_dispatch(job=job))
            _publish_after_commit(job.pk)
    except IntegrityError:
        # Two requests with the same key raced; the other one committed first.
        if not idempotency_key:
            raise
        return JobAccepted(
            job=Job.objects.get(user=user, idempotency_key=idempotency_key), created=False
        )
    return JobAccepted(job=job, created=True)


# --- dispatching ---------------------------------------------------------------------------


def job_dispatch(*, job: Job) -> None:
    """Hand ``job`` to a worker if it is due soon; :func:`jobs_due_ids` finds later ones.

    Called after commit. With Redis the Celery task gets it (a countdown when due within the
    dispatch interval); in embedded mode the in-process runner is woken.
    """
    now = timezone.now()
    delay = (job.run_after - now).total_seconds() if job.run_after else 0.0
    if delay > settings.UPLOAD_DISPATCH_INTERVAL.total_seconds():
        return
    if settings.REDIS_URL:
        from uploads.tasks import run_job_task

        try:
            run_job_task.apply_async(args=[str(job.pk)], countdown=max(0.0, delay))
        except KombuOperationalError:
            # The job is committed; the beat's next pass sends it once Redis is back.
            logger.warning("job %s: queue unavailable, left for the next dispatch pass", job.pk)
    else:
        from uploads.runner import embedded_runner

        embedded_runner.wake()


def jobs_due_ids(*, every_due: bool = False, limit: int = 500) -> list[UUID]:
    """Recover lost work and return the ids of QUEUED jobs that a worker should look at now.

    - RUNNING jobs whose row has not moved for ``UPLOAD_STALE_AFTER`` lost their worker: they
      go back to QUEUED (or FAILED once their attempts are used up).
    - With Redis (the beat), QUEUED jobs that became due since they were last dispatched, or
      were dispatched longer than ``UPLOAD_STALE_AFTER`` ago without being picked up (a lost
      message). Returning a job touches its ``updated_at``, so it is not handed out again at
      every tick.
    - ``every_due`` (the embedded runner, which is the queue itself): every due QUEUED job.
    """
    now = timezone.now()
    stale_before = now - settings.UPLOAD_STALE_AFTER
    stale = Job.objects.filter(status=JobStatus.RUNNING, updated_at__lt=stale_before)[:limit]
    recovered = [job.pk for job in stale if _job_recover_stale(job=job, stale_before=stale_before)]
    due = Job.objects.filter(status=JobStatus.QUEUED).filter(
        Q(run_after__isnull=True) | Q(run_after__lte=now)
    )
    if not every_due:
        due = due.filter(Q(updated_at__lt=stale_before) | Q(run_after__gt=F("updated_at")))
    ids = list(due.order_by("run_after", "created_at").values_list("pk", flat=True)[:limit])
    Job.objects.filter(pk__in=ids, status=JobStatus.QUEUED).update(updated_at=now)
    return recovered + ids


def _job_recover_stale(*, job: Job, stale_before: datetime) -> bool:
    """Queue a stale RUNNING job again (True), or fail it when out of attempts."""
    now = timezone.now()
    running = Job.objects.filter(
        pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts, updated_at__lt=stale_before
    )
    if job.attempts >= settings.UPLOAD_MAX_ATTEMPTS:
        error = {"code": "worker_lost", "message": "The worker running this job stopped."}
        _job_fail(running=running, job=job, error=error)
        return False
    if not running.update(status=JobStatus.QUEUED, run_after=None, updated_at=now):
        return False
    logger.warning("job %s: worker lost, queued again", job.pk)
    _publish_after_commit(job.pk)
    return True


def jobs_dispatch_due() -> list[UUID]:
    """The beat task's work: send every due job to the queue again (a claim makes extras no-ops)."""
    from uploads.tasks import run_job_task

    ids = jobs_due_ids()
    for job_id in ids:
        run_job_task.apply_async(args=[str(job_id)])
    return ids


# --- running ---------------------------------------------------------------------------------


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
    _publish_after_commit(job_id)
    return Job.objects.select_related("channel", "user").get(pk=job_id)


def _job_fail(*, running, job: Job, error: dict) -> bool:
    """Move the ``running`` queryset (one row, conditioned) to FAILED and give the slot back."""
    with transaction.atomic():
        failed = running.update(
            status=JobStatus.FAILED,
            error=error,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
            quota_period=None,
        )
        if failed and job.quota_period is not None:
            upload_slot_release(user_id=job.user_id, period=job.quota_period)
    if failed:
        _publish_after_commit(job.pk)
    return bool(failed)


def run_job(*, job_id: UUID | str) -> RunOutcome:
    """Run one job: claim it, publish through its provider, record how it ended.

    Safe to call any number of times: only the call that moves the job from QUEUED to RUNNING
    does anything, and a worker whose job was taken away stops at its next progress report.
    """
    job = _job_claim(UUID(str(job_id)))
    if job is None:
        current = Job.objects.filter(pk=job_id).values_list("status", flat=True).first()
        return RunOutcome(status=current or "missing")
    attempt = job.attempts
    mine = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=attempt)
    last_progress = job.progress

    def on_progress(percent: int) -> None:
        nonlocal last_progress
        percent = max(1, min(99, int(percent)))
        # Every report is also the heartbeat that keeps stale recovery away.
        if not mine.update(progress=max(percent, last_progress), updated_at=timezone.now()):
            raise JobLost(str(job.pk))
        if percent > last_progress:
            last_progress = percent
            _publish_after_commit(job.pk)

    channel = job.channel
    try:
        if channel is None:
            raise ProviderError("The channel was disconnected.", code="channel_gone")
        result = get_provider(job.platform).publish(
            channel=channel, job=job, on_progress=on_progress
        )
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
        error = {"code": exc.code, "message": exc.message}
        _job_fail(running=mine, job=job, error=error)
        if isinstance(exc, GrantRevokedError) and channel is not None:
            _mark_channel_needs_reauth(channel)
        logger.info("job %s failed: %s", job.pk, exc.code)
        return RunOutcome(status=JobStatus.FAILED)
    except Exception:
        # A bug, not a platform answer: fail visibly rather than retry forever.
        logger.exception("job %s: unexpected error", job.pk)
        error = {"code": "internal_error", "message": "The upload failed unexpectedly."}
        _job_fail(running=mine, job=job, error=error)
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
        _publish_after_commit(job.pk)
    return RunOutcome(status=JobStatus.SUCCEEDED)


def _job_after_transient(*, job: Job, running, exc: TransientProviderError) -> RunOutcome:
    error = {"code": exc.code, "message": exc.message}
    if job.attempts >= settings.UPLOAD_MAX_ATTEMPTS:
        _job_fail(running=running, job=job, error=error)
        return RunOutcome(status=JobStatus.FAILED)
    delay = retry_delay(job.attempts)
    now = timezone.now()
    if running.update(
        status=JobStatus.QUEUED,
        error=error,
        run_after=now + timedelta(seconds=delay),
        updated_at=now,
    ):
        _publish_after_commit(job.pk)
    logger.info("job %s: transient failure (%s), retry in %.1fs", job.pk, exc.code, delay)
    return RunOutcome(status=JobStatus.QUEUED, retry_in=delay)


def job_session_save(*, job: Job, session_uri: str) -> None:
    """Remember the platform's resumable upload session of a running job."""
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
        upload_session_uri=session_uri, updated_at=timezone.now()
    )
    job.upload_session_uri = session_uri


# --- operator and user actions -----------------------------------------------------------


def job_cancel(*, job: Job) -> Job:
    """Cancel a QUEUED job and give its slot back; 409 ``job_not_cancelable`` otherwise."""
    now = timezone.now()
    with transaction.atomic():
        canceled = Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
            status=JobStatus.CANCELED, finished_at=now, updated_at=now, quota_period=None
        )
        if not canceled:
            raise Conflict("Only a queued job can be canceled.", code="job_not_cancelable")
        if job.quota_period is not None:
            upload_slot_release(user_id=job.user_id, period=job.quota_period)
    _publish_after_commit(job.pk)
    job.refresh_from_db()
    return job


def jobs_cancel_for_channel(*, channel_id: UUID, error: dict | None = None) -> int:
    """Cancel a channel's QUEUED jobs (the channel is being disconnected), giving each one's
    quota slot back. Joins the caller's transaction; returns how many were canceled."""
    now = timezone.now()
    with transaction.atomic():
        jobs = list(
            Job.objects.select_for_update()
            .filter(channel_id=channel_id, status=JobStatus.QUEUED)
            .only("pk", "user_id", "quota_period")
        )
        Job.objects.filter(pk__in=[job.pk for job in jobs]).update(
            status=JobStatus.CANCELED,
            error=error,
            finished_at=now,
            updated_at=now,
            quota_period=None,
        )
        for job in jobs:
            if job.quota_period is not None:
                upload_slot_release(user_id=job.user_id, period=job.quota_period)
            _publish_after_commit(job.pk)
    return len(jobs)


def job_retry(*, job: Job) -> Job:
    """Queue a FAILED job again (a new quota slot, attempts from zero; the platform session is
    kept so the upload resumes where it stopped)."""
    if job.status != JobStatus.FAILED:
        raise Conflict("Only a failed job can be retried.", code="job_not_retryable")
    _ensure_channel_active(job.channel)
    channel_upload_check(user=job.user, channel_id=job.channel_id)
    with transaction.atomic():
        period = upload_slot_reserve(user=job.user)
        retried = Job.objects.filter(pk=job.pk, status=JobStatus.FAILED).update(
            status=JobStatus.QUEUED,
            attempts=0,
            progress=0,
            error=None,
            result=None,
            finished_at=None,
            run_after=job_run_after(platform=job.platform, scheduled_at=job.scheduled_at),
            quota_period=period,
            updated_at=timezone.now(),
        )
        if not retried:
            raise Conflict("Only a failed job can be retried.", code="job_not_retryable")
        job.refresh_from_db()
        transaction.on_commit(lambda: job_dispatch(job=job))
        _publish_after_commit(job.pk)
    return job


# --- storage -----------------------------------------------------------------------------

# Audio and video types the upload platforms and podcast directories accept.
ACCEPTED_MEDIA_TYPES = frozenset(
    {
        "video/mp4",
        "video/quicktime",
        "video/webm",
        "video/x-matroska",
        "video/x-msvideo",
        "video/mpeg",
        "video/3gpp",
        "video/x-flv",
        "audio/mpeg",
        "audio/mp4",
        "audio/x-m4a",
        "audio/aac",
        "audio/wav",
        "audio/x-wav",
        "audio/ogg",
        "audio/flac",
    }
)
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def asset_presign(*, user: User, filename: str, content_type: str, size_bytes: int) -> PresignedPut:
    """Reserve storage for one file and return a short-lived URL to upload it to.

    The storage check runs under a lock on the user's row, so concurrent presigns cannot
    together pass the plan's storage limit.
    """
    content_type = content_type.split(";", 1)[0].strip().lower()
    if content_type not in ACCEPTED_MEDIA_TYPES:
        raise InvalidInput(
            "Only audio and video files the platforms accept can be uploaded.",
            code="unsupported_media_type",
            attr="content_type",
        )
    if not 0 < size_bytes <= settings.UPLOAD_MAX_BYTES:
        raise InvalidInput(
            f"Files are 1 byte to {settings.UPLOAD_MAX_BYTES} bytes.",
            code="invalid",
            attr="size_bytes",
        )
    safe_name = _FILENAME_UNSAFE.sub("-", filename).strip(".-")[:100] or "asset"
    key = f"uploads/{user.pk}/{uuid4().hex}/{safe_name}"
    with transaction.atomic():
        type(user).objects.select_for_update().filter(pk=user.pk).values_list("pk").get()
        limit = user_storage_limit(user)
        used = selectors.storage_used_bytes(user=user)
        if limit is not None and used + size_bytes > limit:
            raise Forbidden(
                "This file would exceed your plan's storage.", code="storage_limit_reached"
            )
        StoredAsset.objects.create(
            user=user,
            key=key,
            filename=filename[:255],
            content_type=content_type,
            size_bytes=size_bytes,
        )
    return get_storage().presign_put(key=key, content_type=content_type, size_bytes=size_bytes)


def asset_receive(*, token: str, content_type: str, chunks: Iterator[bytes]) -> StoredAsset:
    """Store the body of a signed local PUT. Raises ``InvalidUploadToken`` for a bad token and
    ``InvalidInput`` when type or size differ from what was presigned (nothing is kept)."""
    storage = get_storage()
    if not isinstance(storage, LocalStorage):
        raise NotFound("Uploads go to the configured object store.")
    signed = LocalStorage.read_token(token)
    asset = StoredAsset.objects.filter(key=signed.key).first()
    if asset is None:
        raise InvalidUploadToken("unknown upload")
    if asset.uploaded_at is not None:
        # An upload URL is single-use: a file jobs may already point at is never replaced.
        raise Conflict("This upload URL was already used.", code="already_uploaded")
    if content_type.split(";", 1)[0].strip().lower() != signed.content_type:
        raise InvalidInput("Content-Type differs from the presigned one.", code="invalid")

    def limited() -> Iterator[bytes]:
        received = 0
        for chunk in chunks:
            received += len(chunk)
            if received > signed.size_bytes:
                raise InvalidInput("The body is larger than presigned.", code="invalid")
            yield chunk
        if received != signed.size_bytes:
            raise InvalidInput("The body is smaller than presigned.", code="invalid")

    storage.write(signed.key, limited())
    StoredAsset.objects.filter(pk=asset.pk).update(uploaded_at=timezone.now())
    asset.refresh_from_db()
    return asset
