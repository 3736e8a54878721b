"""Drill: YouTube answers 500s, 503s and times out for a while, then recovers.

The job is retried with back-off and resumes where YouTube says it stands: it ends SUCCEEDED
exactly once, one video exists at the platform, every byte was kept once, usage counts once.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import PlanUsage
from tests.factories import JobFactory
from uploads.models import Job, JobStatus
from uploads.services.pipeline import run_job

pytestmark = [pytest.mark.drill, pytest.mark.django_db(transaction=True)]


def _make_due(job: Job) -> None:
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        run_after=now - timedelta(seconds=1), updated_at=now - timedelta(seconds=2)
    )


def test_a_platform_failing_with_500s_and_timeouts_ends_in_one_upload(
    channel, asset, fake_youtube, settings, events
):
    settings.UPLOAD_MAX_ATTEMPTS = 10
    settings.YOUTUBE_HTTP_TIMEOUT = 1
    job = JobFactory(channel=channel, asset_url=asset.url)
    PlanUsage.objects.create(user=channel.user, period_start=job.quota_period, uploads=1)
    # Each attempt meets the next failure: the initiation refused, a chunk lost to a 500,
    # a chunk whose answer never comes within the client's timeout, another 503.
    outages = [
        lambda: setattr(fake_youtube, "initiation_status", 500),
        lambda: setattr(fake_youtube, "chunk_failures", {1: 500}),
        lambda: setattr(fake_youtube, "chunk_delay", 1.5),
        lambda: setattr(fake_youtube, "chunk_failures", {5: 503}),
    ]
    outcomes = []
    for outage in outages:
        outage()
        outcomes.append(run_job(job_id=job.pk).status)
        fake_youtube.initiation_status = None
        fake_youtube.chunk_delay = 0.0
        _make_due(job)

    final = run_job(job_id=job.pk)

    job.refresh_from_db()
    assert outcomes == [JobStatus.QUEUED] * 4  # every failure was transient, none final
    assert final.status == job.status == JobStatus.SUCCEEDED
    assert [status for status, _ in events].count(JobStatus.SUCCEEDED) == 1
    assert job.error is None
    videos = [s for s in fake_youtube.sessions.values() if s.video_id]
    assert len(videos) == 1  # no duplicate upload at the platform
    assert videos[0].stored == asset.size
    assert videos[0].sha256.hexdigest() == asset.sha256
    assert PlanUsage.objects.get(user=channel.user).uploads == 1
    assert run_job(job_id=job.pk).status == JobStatus.SUCCEEDED  # a late redelivery: no-op
    assert len([s for s in fake_youtube.sessions.values() if s.video_id]) == 1
