"""The pipeline end to end with a real Celery worker consuming from Redis."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from billing.models import PlanUsage
from channels_app.models import ChannelStatus
from core.redis import get_redis
from gateway.celery import app as celery_app
from uploads.models import Job, JobStatus

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

TERMINAL = {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED}


@pytest.fixture
def worker():
    get_redis().flushdb()  # this worktree's own Redis database: no message of an older run
    with start_worker(
        celery_app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=30
    ):
        yield


def _submit(client, channel, asset, **extra) -> Job:
    response = client.post(
        "/api/v1/upload",
        {"channelId": str(channel.pk), "assetUrl": asset.url, "title": "My video", **extra},
        format="json",
    )
    assert response.status_code == 202, response.json()
    return Job.objects.get(pk=response.json()["jobId"])


def wait_until_finished(job: Job, timeout: float = 60) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in TERMINAL:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job still {job.status} after {timeout}s")


def test_a_50_mb_upload_goes_queued_running_succeeded_and_youtube_gets_every_byte_once(
    auth_client, channel, big_asset, fake_youtube, events, settings, worker
):
    settings.UPLOAD_CHUNK_SIZE = 4 * 1024 * 1024
    settings.UPLOAD_PROGRESS_INTERVAL = 0  # every chunk YouTube confirms is reported

    job = wait_until_finished(_submit(auth_client, channel, big_asset))

    assert job.status == JobStatus.SUCCEEDED
    assert job.result["provider_id"] == fake_youtube.session.video_id
    assert fake_youtube.session.stored == big_asset.size
    assert fake_youtube.bytes_received == big_asset.size
    assert fake_youtube.session.sha256.hexdigest() == big_asset.sha256
    statuses = [status for status, _ in events]
    assert statuses[-1] == "SUCCEEDED"
    assert set(statuses[:-1]) == {"RUNNING"}  # accepting a job is not announced
    running = [progress for status, progress in events if status == "RUNNING"]
    assert running == sorted(running)
    assert len(set(running)) == 12  # claimed at 0, then after each of 11 full 4 MiB chunks
    assert events[-1] == ("SUCCEEDED", 100)
    assert PlanUsage.objects.get().uploads == 1


def test_a_5xx_mid_upload_is_retried_by_the_worker_and_resumes(
    auth_client, channel, asset, fake_youtube, worker
):
    fake_youtube.chunk_failures = {2: 503}

    job = wait_until_finished(_submit(auth_client, channel, asset))

    assert job.status == JobStatus.SUCCEEDED
    assert job.attempts == 2
    assert len(fake_youtube.initiations) == 1
    assert fake_youtube.status_queries == 1
    kept = [put for put in fake_youtube.puts if put.status != 503]
    assert [put.start for put in kept] == [i * 256 * 1024 for i in range(5)]
    assert fake_youtube.session.sha256.hexdigest() == asset.sha256


def test_a_401_fails_the_job_and_the_channel_needs_reauth(
    auth_client, channel, asset, fake_youtube, worker
):
    fake_youtube.initiation_status = 401

    job = wait_until_finished(_submit(auth_client, channel, asset))

    channel.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error["code"] == "grant_revoked"
    assert channel.status == ChannelStatus.NEEDS_REAUTH
    assert PlanUsage.objects.get().uploads == 0


def test_a_400_fails_the_job_without_retries(auth_client, channel, asset, fake_youtube, worker):
    fake_youtube.initiation_status = 400

    job = wait_until_finished(_submit(auth_client, channel, asset))

    assert job.status == JobStatus.FAILED
    assert job.attempts == 1
    assert len(fake_youtube.initiations) == 1
    assert fake_youtube.bytes_received == 0


def test_a_scheduled_job_does_not_start_before_its_time(
    auth_client, channel, asset, fake_youtube, settings, worker
):
    settings.UPLOAD_LEAD_TIME = timedelta(0)
    scheduled_at = timezone.now() + timedelta(seconds=2)

    job = _submit(auth_client, channel, asset, scheduledAt=scheduled_at.isoformat())
    time.sleep(1)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert fake_youtube.initiations == []

    job = wait_until_finished(job)

    assert job.status == JobStatus.SUCCEEDED
    assert job.started_at >= scheduled_at
