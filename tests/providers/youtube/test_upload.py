"""run_job against the fake YouTube upload endpoint, in this process (no worker needed)."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from uuid import uuid4

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db.models import F
from django.utils import timezone

from billing.models import PlanUsage
from channels_app.models import ChannelStatus
from tests.factories import JobFactory
from tests.fakes.asset_server import AssetServer, write_random_file
from tests.providers.youtube import CHUNK
from uploads.asset_stream import RemoteAsset
from uploads.models import Job, JobStatus
from uploads.services.pipeline import retry_delay, run_job
from uploads.services.recovery import jobs_recover_and_collect_due

pytestmark = pytest.mark.django_db


def _job(channel, asset, **fields) -> Job:
    job = JobFactory(channel=channel, asset_url=asset.url, **fields)
    PlanUsage.objects.create(user=channel.user, period_start=job.quota_period, uploads=1)
    return job


def _usage(user) -> int:
    return PlanUsage.objects.get(user=user).uploads


def _make_due(job: Job) -> None:
    """Let time pass: the job's start time (scheduled or back-off) is now behind us."""
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        run_after=now - timedelta(seconds=1), updated_at=now - timedelta(seconds=2)
    )


@pytest.mark.django_db(transaction=True)
def test_a_job_uploads_every_byte_once_with_rising_progress(
    channel, asset, fake_youtube, events, settings
):
    settings.UPLOAD_PROGRESS_INTERVAL = 0  # every chunk YouTube confirms is reported
    job = _job(channel, asset, title="My video", description="About it")

    outcome = run_job(job_id=job.pk)

    job.refresh_from_db()
    assert outcome.status == JobStatus.SUCCEEDED
    assert job.status == JobStatus.SUCCEEDED
    assert job.progress == 100
    assert job.attempts == 1
    assert job.error is None
    video_id = fake_youtube.session.video_id
    assert job.result == {
        "provider_id": video_id,
        "url": f"https://www.youtube.com/watch?v={video_id}",
    }
    assert fake_youtube.session.stored == asset.size
    assert fake_youtube.session.sha256.hexdigest() == asset.sha256
    assert fake_youtube.bytes_received == asset.size
    assert fake_youtube.initiations == [
        {
            "snippet": {"title": "My video", "description": "About it"},
            "status": {"privacyStatus": "public", "selfDeclaredMadeForKids": False},
        }
    ]
    assert [status for status, _ in events] == ["RUNNING"] * 5 + ["SUCCEEDED"]
    progress = [progress for _, progress in events]
    assert progress == sorted(progress)
    assert progress[0] == 0
    assert progress[-1] == 100
    assert len(set(progress)) == 6
    assert _usage(channel.user) == 1


@pytest.mark.django_db(transaction=True)
def test_progress_is_reported_at_most_once_per_interval(
    channel, asset, fake_youtube, events, settings
):
    # Five chunks confirmed within the interval: each report is a database write and an event.
    settings.UPLOAD_PROGRESS_INTERVAL = 3600
    job = _job(channel, asset)

    run_job(job_id=job.pk)

    first_chunk = 100 * CHUNK // asset.size
    assert events == [("RUNNING", 0), ("RUNNING", first_chunk), ("SUCCEEDED", 100)]


def test_a_second_delivery_does_nothing(channel, asset, fake_youtube):
    job = _job(channel, asset)
    run_job(job_id=job.pk)

    outcome = run_job(job_id=job.pk)

    job.refresh_from_db()
    assert outcome.status == JobStatus.SUCCEEDED
    assert job.attempts == 1
    assert len(fake_youtube.initiations) == 1
    assert fake_youtube.bytes_received == asset.size


def test_a_5xx_mid_upload_is_retried_and_resumes_from_the_last_acknowledged_byte(
    channel, asset, fake_youtube
):
    fake_youtube.chunk_failures = {2: 503}
    job = _job(channel, asset)

    first = run_job(job_id=job.pk)

    job.refresh_from_db()
    assert first.status == JobStatus.QUEUED
    assert 0 < first.retry_in <= 0.05
    assert job.status == JobStatus.QUEUED
    assert job.error == {
        "code": "provider_error",
        "message": "YouTube answered 503 (backendError).",
    }
    assert job.upload_session_uri.startswith(f"{fake_youtube.url}/upload/youtube/v3/videos")
    acknowledged = 2 * 256 * 1024
    assert fake_youtube.session.stored == acknowledged

    _make_due(job)
    second = run_job(job_id=job.pk)

    job.refresh_from_db()
    assert second.status == JobStatus.SUCCEEDED
    assert job.status == JobStatus.SUCCEEDED
    assert job.attempts == 2
    assert job.error is None
    assert len(fake_youtube.initiations) == 1
    assert fake_youtube.status_queries == 1
    resumed = [put for put in fake_youtube.puts if put.status != 503][2]
    assert resumed.start == acknowledged
    assert fake_youtube.session.sha256.hexdigest() == asset.sha256
    assert fake_youtube.session.stored == asset.size
    assert _usage(channel.user) == 1


def test_a_chunk_resent_after_a_timeout_while_youtube_still_held_it_is_kept_once(
    channel, asset, fake_youtube, settings
):
    # The first chunk's answer comes after the client gave up; the retry asks for the offset
    # and resends that chunk while YouTube is still busy with the first copy.
    settings.YOUTUBE_HTTP_TIMEOUT = 0.5
    fake_youtube.chunk_delay = 1.5
    job = _job(channel, asset)
    assert run_job(job_id=job.pk).status == JobStatus.QUEUED
    fake_youtube.chunk_delay = 0.0
    _make_due(job)

    second = run_job(job_id=job.pk)
    while len(fake_youtube.puts) < 6:  # the delayed first copy, then five chunks
        time.sleep(0.05)

    assert second.status == JobStatus.SUCCEEDED
    assert fake_youtube.bytes_received == asset.size + CHUNK  # the first chunk arrived twice
    assert fake_youtube.session.stored == asset.size
    assert fake_youtube.session.sha256.hexdigest() == asset.sha256


def test_a_job_that_finished_at_youtube_but_not_here_is_recorded_without_reuploading(
    channel, asset, fake_youtube
):
    job = _job(channel, asset)
    run_job(job_id=job.pk)
    session_uri = fake_youtube.session_uri(fake_youtube.session.id)
    # The worker died after the last chunk, before writing SUCCEEDED: the job is queued again.
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.QUEUED, progress=80, result=None, upload_session_uri=session_uri
    )

    outcome = run_job(job_id=job.pk)

    job.refresh_from_db()
    assert outcome.status == JobStatus.SUCCEEDED
    assert job.result["provider_id"] == fake_youtube.session.video_id
    assert fake_youtube.bytes_received == asset.size
    assert len(fake_youtube.initiations) == 1


def test_a_revoked_grant_fails_the_job_and_marks_the_channel_needs_reauth(
    channel, asset, fake_youtube
):
    fake_youtube.initiation_status = 401
    job = _job(channel, asset)

    outcome = run_job(job_id=job.pk)

    job.refresh_from_db()
    channel.refresh_from_db()
    assert outcome == type(outcome)(status=JobStatus.FAILED)
    assert job.status == JobStatus.FAILED
    assert job.error == {"code": "grant_revoked", "message": "Google no longer accepts this grant."}
    assert job.finished_at is not None
    assert job.quota_period is None
    assert channel.status == ChannelStatus.NEEDS_REAUTH
    assert _usage(channel.user) == 0
    assert fake_youtube.bytes_received == 0


def test_a_stored_grant_that_does_not_decrypt_fails_the_job_and_needs_reauth(
    channel, asset, fake_youtube
):
    version, key_id, payload = channel.refresh_token_encrypted.split(".")
    channel.refresh_token_encrypted = f"{version}.{key_id}.{payload[::-1]}"
    channel.save(update_fields=["refresh_token_encrypted"])
    job = _job(channel, asset)

    outcome = run_job(job_id=job.pk)

    job.refresh_from_db()
    channel.refresh_from_db()
    assert outcome.status == JobStatus.FAILED
    assert job.error == {"code": "grant_revoked", "message": "The channel has no usable grant."}
    assert channel.status == ChannelStatus.NEEDS_REAUTH
    assert _usage(channel.user) == 0
    assert fake_youtube.initiations == []


def test_a_permanent_400_fails_at_once_without_retry(channel, asset, fake_youtube):
    fake_youtube.initiation_status = 400
    job = _job(channel, asset)

    outcome = run_job(job_id=job.pk)

    job.refresh_from_db()
    channel.refresh_from_db()
    assert outcome.retry_in is None
    assert job.status == JobStatus.FAILED
    assert job.attempts == 1
    assert job.error == {
        "code": "upload_limit_exceeded",
        "message": "Your YouTube channel has reached the number of videos YouTube lets it "
        "upload for now. This is a limit of your channel, set by YouTube: retry this upload in "
        "a day.",
    }
    assert channel.status == ChannelStatus.ACTIVE
    assert _usage(channel.user) == 0
    assert len(fake_youtube.initiations) == 1


def test_transient_failures_stop_after_the_attempt_limit(channel, asset, fake_youtube, settings):
    settings.UPLOAD_MAX_ATTEMPTS = 2
    fake_youtube.initiation_status = 503
    job = _job(channel, asset)

    run_job(job_id=job.pk)
    _make_due(job)
    outcome = run_job(job_id=job.pk)

    job.refresh_from_db()
    assert outcome.status == JobStatus.FAILED
    assert job.attempts == 2
    assert job.status == JobStatus.FAILED
    assert _usage(channel.user) == 0
    assert len(fake_youtube.initiations) == 2


def test_a_scheduled_youtube_job_waits_for_the_lead_time_and_publishes_at_scheduled_at(
    channel, asset, fake_youtube
):
    scheduled_at = (timezone.now() + timedelta(hours=3)).replace(microsecond=0)
    job = _job(
        channel, asset, scheduled_at=scheduled_at, run_after=scheduled_at - timedelta(hours=1)
    )

    early = run_job(job_id=job.pk)

    job.refresh_from_db()
    assert early.status == JobStatus.QUEUED
    assert job.status == JobStatus.QUEUED
    assert job.attempts == 0
    assert job.pk not in jobs_recover_and_collect_due()
    assert fake_youtube.initiations == []

    _make_due(job)
    assert jobs_recover_and_collect_due() == [job.pk]
    run_job(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert fake_youtube.initiations[0]["status"] == {
        "privacyStatus": "private",
        "publishAt": scheduled_at.isoformat().replace("+00:00", "Z"),
        "selfDeclaredMadeForKids": False,
    }


def test_a_stale_running_job_is_queued_again_and_a_late_worker_stops(channel, asset, settings):
    job = _job(channel, asset)
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, attempts=1, updated_at=timezone.now() - timedelta(minutes=11)
    )

    due = jobs_recover_and_collect_due()

    job.refresh_from_db()
    assert due == [job.pk]
    assert job.status == JobStatus.QUEUED
    assert jobs_recover_and_collect_due() == []  # handed out once per stale period


def test_a_stale_job_out_of_attempts_fails_and_gives_its_slot_back(channel, asset, settings):
    settings.UPLOAD_MAX_ATTEMPTS = 1
    job = _job(channel, asset)
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, attempts=1, updated_at=timezone.now() - timedelta(minutes=11)
    )

    assert jobs_recover_and_collect_due() == []

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == {"code": "worker_lost", "message": "The worker running this job stopped."}
    assert _usage(channel.user) == 0


def test_a_redirect_to_loopback_fails_the_job_at_fetch_time(channel, asset, fake_youtube):
    job = _job(channel, asset)
    # The first hop is the allowed test host; the redirect goes to another loopback port.
    Job.objects.filter(pk=job.pk).update(
        asset_url=f"http://{asset.server.host}/redirect?to=http://127.0.0.1:9/asset"
    )

    run_job(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == {"code": "invalid_asset_url", "message": "The URL must use https."}
    assert fake_youtube.initiations == []


def test_the_asset_streams_with_ranges_and_is_read_once(channel, asset, fake_youtube):
    job = _job(channel, asset)

    run_job(job_id=job.pk)

    assert asset.server.requests == [("/asset", "bytes=0-")]
    assert hashlib.sha256(asset.path.read_bytes()).hexdigest() == asset.sha256


def test_an_asset_host_without_ranges_is_read_from_the_start_and_skipped(tmp_path, settings):
    path = tmp_path / "asset.bin"
    write_random_file(path, 3 * 1024 * 1024)
    content = path.read_bytes()
    with AssetServer(path, ranges=False) as server:
        settings.OUTBOUND_ALLOWED_HOSTS = [server.host]
        stream = RemoteAsset(server.url)

        stream.seek(2 * 1024 * 1024 + 5)
        tail = stream.read(100)

    assert stream.size == len(content)
    assert tail == content[2 * 1024 * 1024 + 5 : 2 * 1024 * 1024 + 105]
    assert [header for _, header in server.requests] == ["bytes=0-", "bytes=2097157-"]


@pytest.mark.parametrize(
    ("status", "job_status", "code"),
    [(404, JobStatus.FAILED, "asset_unavailable"), (503, JobStatus.QUEUED, "provider_error")],
)
def test_an_asset_host_error_is_permanent_for_4xx_and_transient_for_5xx(
    channel, asset, fake_youtube, status, job_status, code
):
    job = _job(channel, asset)
    Job.objects.filter(pk=job.pk).update(asset_url=f"http://{asset.server.host}/status/{status}")

    run_job(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == job_status
    assert job.error["code"] == code
    assert fake_youtube.initiations == []


def test_a_worker_whose_job_was_taken_away_stops_without_writing(channel, asset, monkeypatch):
    job = _job(channel, asset)

    class StolenMidway:
        uploads = True

        def publish(self, request, *, on_progress, on_session):
            on_progress(10)
            # Meanwhile the job was declared stale and claimed by another worker.
            Job.objects.filter(pk=job.pk).update(attempts=F("attempts") + 1, lease_id=uuid4())
            on_progress(20)
            raise AssertionError("the upload should have stopped")

    monkeypatch.setattr(
        "uploads.services.pipeline.channel_provider", lambda channel: StolenMidway()
    )

    outcome = run_job(job_id=job.pk)

    job.refresh_from_db()
    assert outcome.status == "lost"
    assert job.status == JobStatus.RUNNING
    assert job.progress == 10
    assert job.attempts == 2


def test_retry_delays_grow_exponentially_with_jitter_and_a_ceiling(settings):
    settings.UPLOAD_RETRY_BASE_DELAY = 10
    settings.UPLOAD_RETRY_MAX_DELAY = 60

    delays = {attempt: [retry_delay(attempt) for _ in range(50)] for attempt in (1, 2, 3, 8)}

    assert all(5 <= d <= 10 for d in delays[1])
    assert all(10 <= d <= 20 for d in delays[2])
    assert all(20 <= d <= 40 for d in delays[3])
    assert all(30 <= d <= 60 for d in delays[8])
    assert len(set(delays[1])) > 1


def test_a_task_time_limit_mid_upload_queues_the_job_to_resume(channel, asset, monkeypatch):
    job = _job(channel, asset)

    class TooSlow:
        uploads = True

        def publish(self, request, *, on_progress, on_session):
            on_progress(40)
            raise SoftTimeLimitExceeded

    monkeypatch.setattr("uploads.services.pipeline.channel_provider", lambda channel: TooSlow())

    outcome = run_job(job_id=job.pk)

    job.refresh_from_db()
    assert outcome.retry_in is not None
    assert job.status == JobStatus.QUEUED
    assert job.progress == 40
    assert job.error == {
        "code": "provider_error",
        "message": "The upload took longer than one task may run.",
    }
