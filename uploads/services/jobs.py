"""Accepting upload jobs and the actions on them (cancel, retry, a disconnected channel's jobs).

The job row is the record of truth; a queue message only says "look at this job". Every state
change is a conditional ``UPDATE`` on the expected state, so a second request, a late worker or
a concurrent cancel changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.services import channel_upload_check, upload_slot_release, upload_slot_reserve
from channels_app.models import Channel, ChannelStatus
from core.errors import ApplicationError, Conflict, Forbidden, InvalidInput, NotFound
from providers.base import FeedDirectoryProvider, Provider
from providers.registry import get_provider
from uploads.events import publish_job_event_on_commit
from uploads.models import Job, JobStatus
from uploads.services.dispatch import job_dispatch
from uploads.services.feed_publish import feed_channel_publishable, feed_upload_check
from uploads.services.storage import asset_url_check
from uploads.services.transitions import CHANNEL_DISCONNECTED

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class JobAccepted:
    job: Job
    created: bool


def job_run_after(*, platform: str, scheduled_at: datetime | None) -> datetime | None:
    """When a worker may start a job scheduled for ``scheduled_at`` (``None``: now).

    A platform that schedules natively (YouTube's ``publishAt``) may start up to
    ``UPLOAD_LEAD_TIME`` early, while nothing becomes public before ``scheduled_at``.
    """
    if scheduled_at is None or scheduled_at <= timezone.now():
        return None
    if get_provider(platform).schedules_natively:
        return scheduled_at - settings.UPLOAD_LEAD_TIME
    return scheduled_at


def _ensure_channel_active(channel: Channel | None) -> None:
    """An upload needs an ACTIVE channel; a podcast directory's channel of a show takes
    episodes while PENDING too (see ``feed_publish``)."""
    if channel is None:
        publishable = False
    elif isinstance(get_provider(channel.platform), FeedDirectoryProvider):
        publishable = feed_channel_publishable(channel)
    else:
        publishable = channel.status == ChannelStatus.ACTIVE
    if not publishable:
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
    if isinstance(provider, FeedDirectoryProvider):
        feed_upload_check(
            user=user,
            channel=channel,
            provider=provider,
            asset_url=asset_url,
            description=description,
        )
    elif not provider.uploads:
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


class IdempotencyKeyReused(ApplicationError):
    """An ``Idempotency-Key`` sent again with a different request (422)."""

    status_code = 422
    default_code = "idempotency_key_reused"


def job_request_fingerprint(
    *,
    channel_id: UUID,
    asset_url: str,
    title: str,
    description: str,
    platform: str | None,
    scheduled_at: datetime | None,
) -> str:
    """A digest of what an upload asks for, so a replayed key can be told from a reused one."""
    request = {
        "channel_id": str(channel_id),
        "asset_url": asset_url,
        "title": title,
        "description": description,
        "platform": platform or "",
        "scheduled_at": scheduled_at.astimezone(UTC).isoformat() if scheduled_at else "",
    }
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


def _job_for_key(*, user: User, idempotency_key: str, fingerprint: str) -> Job | None:
    """The job first accepted with ``idempotency_key``; 422 when it was for another request."""
    job = Job.objects.filter(user=user, idempotency_key=idempotency_key).first()
    if job is None:
        return None
    # Jobs accepted before fingerprints were kept have none: they cannot be told apart.
    if job.idempotency_fingerprint and job.idempotency_fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used for a different upload.",
            code="idempotency_key_reused",
        )
    return job


class _Replayed(Exception):
    """Leaves the accepting transaction (rolled back) with the job a key already names."""

    def __init__(self, job: Job) -> None:
        self.job = job


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

    With ``idempotency_key``, a repeated call returns the first job (``created=False``), also
    when the calls arrive together: the key is looked up again under the lock that guards the
    quota, so a replay never takes (or is refused) a slot of its own. The same key with another
    request is 422 ``idempotency_key_reused``.
    """
    fingerprint = ""
    if idempotency_key:
        fingerprint = job_request_fingerprint(
            channel_id=channel_id,
            asset_url=asset_url,
            title=title,
            description=description,
            platform=platform,
            scheduled_at=scheduled_at,
        )
        existing = _job_for_key(user=user, idempotency_key=idempotency_key, fingerprint=fingerprint)
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

    def replayed() -> Job | None:
        if not idempotency_key:
            return None
        return _job_for_key(user=user, idempotency_key=idempotency_key, fingerprint=fingerprint)

    try:
        with transaction.atomic():
            try:
                # Holds the user's PlanUsage row lock (or its UPDATE's) until commit.
                period = upload_slot_reserve(user=user)
            except Forbidden:
                # A concurrent twin may have taken the last slot: answer with its job.
                if (twin := replayed()) is not None:
                    raise _Replayed(twin) from None
                raise
            if (twin := replayed()) is not None:
                raise _Replayed(twin)  # rolls the slot just taken back
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
                idempotency_fingerprint=fingerprint,
                quota_period=period,
            )
            transaction.on_commit(lambda: job_dispatch(job=job))
    except _Replayed as replay:
        return JobAccepted(job=replay.job, created=False)
    except IntegrityError:
        # Two requests with the same key raced past the lock (an unlimited plan's slot is a
        # plain UPDATE); the other one committed first.
        if (twin := replayed()) is None:
            raise
        return JobAccepted(job=twin, created=False)
    return JobAccepted(job=job, created=True)


def job_cancel(*, job: Job) -> Job:
    """Cancel a QUEUED job and give its slot back; 409 ``job_not_cancelable`` otherwise."""
    now = timezone.now()
    with transaction.atomic():
        canceled = (
            Job.objects.of_owner(job.user_id)
            .filter(pk=job.pk, status=JobStatus.QUEUED)
            .update(status=JobStatus.CANCELED, finished_at=now, updated_at=now, quota_period=None)
        )
        if not canceled:
            raise Conflict("Only a queued job can be canceled.", code="job_not_cancelable")
        if job.quota_period is not None:
            upload_slot_release(user_id=job.user_id, period=job.quota_period)
    publish_job_event_on_commit(job.pk)
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
        Job.objects.of_owners({job.user_id for job in jobs}).filter(
            pk__in=[job.pk for job in jobs]
        ).update(
            status=JobStatus.CANCELED,
            error=error,
            finished_at=now,
            updated_at=now,
            quota_period=None,
        )
        for job in jobs:
            if job.quota_period is not None:
                upload_slot_release(user_id=job.user_id, period=job.quota_period)
            publish_job_event_on_commit(job.pk)
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
        retried = (
            Job.objects.of_owner(job.user_id)
            .filter(pk=job.pk, status=JobStatus.FAILED)
            .update(
                status=JobStatus.QUEUED,
                attempts=0,
                progress=0,
                error=None,
                result=None,
                finished_at=None,
                run_after=job_run_after(platform=job.platform, scheduled_at=job.scheduled_at),
                waiting_reason="",
                quota_period=period,
                updated_at=timezone.now(),
            )
        )
        if not retried:
            raise Conflict("Only a failed job can be retried.", code="job_not_retryable")
        job.refresh_from_db()
        publish_job_event_on_commit(job.pk)
        transaction.on_commit(lambda: job_dispatch(job=job))
    return job


def jobs_cancel_when_channel_disconnects(
    sender: object, *, channel_id: UUID, **kwargs: object
) -> None:
    """Receiver of ``channels_app.signals.channel_disconnecting``: the channel's jobs that have
    not started are canceled in the disconnect's transaction (docs/api.md)."""
    jobs_cancel_for_channel(channel_id=channel_id, error=CHANNEL_DISCONNECTED)
