"""A seeded history for the stats page: users on every plan, channels in every state, and
jobs spread over the last 30 days with known outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from billing.models import Plan
from channels_app.models import Channel, ChannelStatus
from tests.factories import UserFactory
from uploads.models import Job, JobStatus


@dataclass(frozen=True)
class History:
    now: datetime
    failed_today: Job  # failed today, reason "upload_rejected"
    jobs: list[Job]


def job_on(channel: Channel, status: str, created_at: datetime | None = None, **fields) -> Job:
    """A job of ``channel`` in ``status``, accepted at ``created_at`` (default: now)."""
    job = Job.objects.create(
        user=channel.user,
        channel=channel,
        platform=channel.platform,
        asset_url="https://cdn.example.com/a.mp4",
        title=fields.pop("title", status.lower()),
        status=status,
        **fields,
    )
    if created_at is not None:
        # created_at is auto_now_add: move it into the past afterwards.
        Job.objects.filter(pk=job.pk).update(created_at=created_at)
        job.created_at = created_at
    return job


def seed_history(*, now: datetime | None = None) -> History:
    """3 free, 2 pro, 1 agency users; 3 YouTube (2 ACTIVE, 1 NEEDS_REAUTH) and 1 Spotify
    (PENDING) channel; jobs: 10 days ago 2 SUCCEEDED + 1 FAILED, 3 days ago 1 CANCELED,
    today (UTC) 1 SUCCEEDED + 1 FAILED ("upload_rejected") + 1 QUEUED."""
    now = now or timezone.now()
    # "Today" (UTC) stays today whatever the hour the tests run at.
    today = now - (now - now.replace(hour=0, minute=0, second=0, microsecond=0)) / 2
    plans = {plan.code: plan for plan in Plan.objects.all()}
    free = [UserFactory(plan=plans["free"]) for _ in range(3)]
    UserFactory.create_batch(2, plan=plans["pro"])
    UserFactory(plan=plans["agency"])
    youtube = [
        Channel.objects.create(
            user=free[0], platform="youtube", provider_channel_id=f"UC{n}", status=status
        )
        for n, status in enumerate(
            (ChannelStatus.ACTIVE, ChannelStatus.ACTIVE, ChannelStatus.NEEDS_REAUTH)
        )
    ]
    Channel.objects.create(user=free[1], platform="spotify", status=ChannelStatus.PENDING)
    channel = youtube[0]
    ten_days_ago, three_days_ago = now - timedelta(days=10), now - timedelta(days=3)
    jobs = [
        job_on(channel, JobStatus.SUCCEEDED, ten_days_ago, finished_at=ten_days_ago)
        for _ in range(2)
    ]
    jobs.append(
        job_on(
            channel,
            JobStatus.FAILED,
            ten_days_ago,
            finished_at=ten_days_ago,
            error={"code": "quota_exceeded", "message": "Old failure."},
        )
    )
    jobs.append(job_on(channel, JobStatus.CANCELED, three_days_ago, finished_at=three_days_ago))
    jobs.append(job_on(channel, JobStatus.SUCCEEDED, today, finished_at=today))
    failed_today = job_on(
        channel,
        JobStatus.FAILED,
        today,
        title="Broken upload",
        finished_at=today,
        error={"code": "upload_rejected", "message": "YouTube refused the video."},
    )
    jobs.append(failed_today)
    jobs.append(job_on(channel, JobStatus.QUEUED, today))
    return History(now=now, failed_today=failed_today, jobs=jobs)
