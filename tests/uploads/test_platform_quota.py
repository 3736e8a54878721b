"""YouTube's daily quota, shared by every creator of the deployment: jobs wait for the reset
instead of failing, the day's budget goes round-robin by creator, and no creator spends more
than their plan's daily share of it (real pipeline, fake YouTube)."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
import time_machine

from billing.models import PlanUsage
from quotas.models import QuotaLedger
from quotas.services import quota_next_reset
from tests.factories import ChannelFactory, GoogleProjectFactory, JobFactory, UserFactory
from uploads.events import build_job_event
from uploads.models import Job, JobStatus, WaitingReason
from uploads.runner import EmbeddedRunner
from uploads.services.pipeline import run_job
from uploads.tasks import dispatch_due_jobs

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def job_updates(monkeypatch) -> list[dict]:
    """Every job event published, as the feed would send it."""
    seen: list[dict] = []
    monkeypatch.setattr(
        "uploads.events.publish_job_event", lambda job: seen.append(build_job_event(job))
    )
    return seen


@pytest.fixture
def held_dispatch(settings, monkeypatch) -> None:
    """Embedded mode whose runner is not woken on acceptance: the test runs its passes."""
    settings.REDIS_URL = ""
    monkeypatch.setattr("uploads.runner.embedded_runner.wake", lambda: None)


def _accept(client, channel, asset, title: str) -> Job:
    body = {"channelId": str(channel.pk), "assetUrl": asset.url, "title": title}
    response = client.post("/api/v1/upload", body, format="json")
    assert response.status_code == 202, response.json()
    return Job.objects.get(pk=response.json()["jobId"])


def _titles(fake_youtube) -> list[str]:
    return [initiation["snippet"]["title"] for initiation in fake_youtube.initiations]


def _waiting_for_quota(job: Job) -> bool:
    job.refresh_from_db()
    return (
        job.status == JobStatus.QUEUED
        and job.waiting_reason == WaitingReason.PLATFORM_QUOTA
        and job.run_after == quota_next_reset()
        and job.attempts == 0
        and job.error is None
    )


def _uploads_spent() -> dict[str, int]:
    """Uploads charged today, by ledger key (projects and creators' shares)."""
    return dict(QuotaLedger.objects.values_list("project_key", "uploads_spent"))


def _last_event(job_updates: list[dict], job: Job) -> dict:
    return [event for event in job_updates if event["jobId"] == str(job.pk)][-1]


@pytest.mark.usefixtures("held_dispatch")
def test_a_spent_budget_is_shared_round_robin_and_the_rest_waits_for_the_pacific_reset(
    client_for, plans, asset, fake_youtube, settings, job_updates
):
    settings.YOUTUBE_DAILY_UPLOADS = 3
    settings.YOUTUBE_DAILY_UPLOAD_SHARE = {"free": 100, "pro": 100}  # the order alone
    ada, bob = UserFactory(plan=plans["pro"]), UserFactory(plan=plans["pro"])
    ada_channel, bob_channel = ChannelFactory(user=ada), ChannelFactory(user=bob)
    # Ada's burst is accepted first: first come, first served would give her the whole day.
    ada_jobs = [_accept(client_for(ada), ada_channel, asset, f"Ada {n}") for n in range(1, 6)]
    bob_jobs = [_accept(client_for(bob), bob_channel, asset, f"Bob {n}") for n in range(1, 3)]

    EmbeddedRunner().run_due_jobs()

    assert _titles(fake_youtube) == ["Ada 1", "Bob 1", "Ada 2"]
    done = [ada_jobs[0], bob_jobs[0], ada_jobs[1]]
    waiting = [ada_jobs[2], ada_jobs[3], ada_jobs[4], bob_jobs[1]]
    assert [Job.objects.get(pk=job.pk).status for job in done] == [JobStatus.SUCCEEDED] * 3
    assert all(_waiting_for_quota(job) for job in waiting)
    until = quota_next_reset().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for job in waiting:
        assert _last_event(job_updates, job) == {
            "type": "job:update",
            "jobId": str(job.pk),
            "status": "QUEUED",
            "progress": 0,
            "waitingFor": {"reason": "platform_quota", "until": until},
        }
    status = client_for(ada).get(f"/api/v1/status/{ada_jobs[2].pk}").json()
    assert status["status"] == "QUEUED"
    assert status["waitingFor"] == {"reason": "platform_quota", "until": until}
    assert not Job.objects.filter(status=JobStatus.FAILED).exists()
    assert _uploads_spent()["youtube:shared"] == 3

    # Just after midnight Pacific time: a new quota day, everyone's first uploads first.
    reset = quota_next_reset()
    with time_machine.travel(reset + timedelta(minutes=1), tick=True):
        EmbeddedRunner().run_due_jobs()

        assert _titles(fake_youtube)[3:] == ["Ada 3", "Bob 2", "Ada 4"]
        assert _waiting_for_quota(ada_jobs[4])
    assert Job.objects.filter(status=JobStatus.SUCCEEDED).count() == 6
    assert not Job.objects.filter(status=JobStatus.FAILED).exists()


@pytest.mark.usefixtures("celery_eager")
def test_a_creators_burst_past_their_daily_share_waits_and_leaves_the_day_to_the_others(
    client_for, plans, asset, fake_youtube, settings, job_updates
):
    settings.YOUTUBE_DAILY_UPLOADS = 10  # Pro's share: 20 %, two uploads a day
    ada, bob = UserFactory(plan=plans["pro"]), UserFactory(plan=plans["pro"])
    ada_channel, bob_channel = ChannelFactory(user=ada), ChannelFactory(user=bob)

    # With Redis every job goes to a worker as soon as it is accepted: first come, first served.
    ada_jobs = [_accept(client_for(ada), ada_channel, asset, f"Ada {n}") for n in range(1, 5)]

    assert _titles(fake_youtube) == ["Ada 1", "Ada 2"]
    assert all(_waiting_for_quota(job) for job in ada_jobs[2:])
    assert _last_event(job_updates, ada_jobs[3])["waitingFor"]["reason"] == "platform_quota"

    # Later that day: the shared project still has budget for everyone else.
    bob_job = _accept(client_for(bob), bob_channel, asset, "Bob 1")

    assert _titles(fake_youtube) == ["Ada 1", "Ada 2", "Bob 1"]
    bob_job.refresh_from_db()
    assert (bob_job.status, bob_job.attempts) == (JobStatus.SUCCEEDED, 1)  # never waited
    assert _uploads_spent() == {
        "youtube:shared": 3,
        f"youtube:shared:user:{ada.pk}": 2,
        f"youtube:shared:user:{bob.pk}": 1,
    }

    # A new quota day, a new share: the beat sends Ada's waiting jobs after the reset.
    with time_machine.travel(quota_next_reset() + timedelta(minutes=1), tick=True):
        dispatch_due_jobs()
    assert _titles(fake_youtube)[3:] == ["Ada 3", "Ada 4"]
    assert not Job.objects.exclude(status=JobStatus.SUCCEEDED).exists()


@pytest.mark.usefixtures("held_dispatch")
def test_a_creators_own_project_is_theirs_alone_and_no_share_applies_there(
    client_for, agency_user, asset, fake_youtube, settings
):
    settings.YOUTUBE_DAILY_UPLOADS = 5  # Agency's share of the shared project: 40 %, two uploads
    project = GoogleProjectFactory(owner=agency_user, daily_uploads=10)
    own = ChannelFactory(user=agency_user, google_project=project)
    shared = ChannelFactory(user=agency_user)
    client = client_for(agency_user)
    own_jobs = [_accept(client, own, asset, f"Own {n}") for n in range(1, 5)]
    shared_jobs = [_accept(client, shared, asset, f"Shared {n}") for n in range(1, 4)]

    EmbeddedRunner().run_due_jobs()

    assert _titles(fake_youtube) == ["Own 1", "Own 2", "Own 3", "Own 4", "Shared 1", "Shared 2"]
    assert _waiting_for_quota(shared_jobs[2])
    assert all(Job.objects.get(pk=job.pk).status == JobStatus.SUCCEEDED for job in own_jobs)
    assert _uploads_spent() == {
        f"youtube:project:{project.pk}": 4,
        "youtube:shared": 2,
        f"youtube:shared:user:{agency_user.pk}": 2,
    }


def _job(channel, asset) -> Job:
    job = JobFactory(channel=channel, asset_url=asset.url)
    PlanUsage.objects.create(user=channel.user, period_start=job.quota_period, uploads=1)
    return job


def test_youtube_answering_quota_exceeded_before_our_ledger_is_spent_makes_the_job_wait(
    channel, asset, fake_youtube, job_updates
):
    fake_youtube.initiation_status = 403
    fake_youtube.initiation_reason = "quotaExceeded"
    job = _job(channel, asset)

    outcome = run_job(job_id=job.pk)

    assert outcome.status == JobStatus.QUEUED
    assert outcome.retry_in is None  # no Celery countdown of hours: the beat sends it later
    assert _waiting_for_quota(job)
    assert _uploads_spent()["youtube:shared"] == 1  # of 100: our ledger had budget left
    assert _last_event(job_updates, job)["waitingFor"]["reason"] == "platform_quota"

    fake_youtube.initiation_status = None
    with time_machine.travel(quota_next_reset() + timedelta(seconds=1), tick=True):
        assert run_job(job_id=job.pk).status == JobStatus.SUCCEEDED
    job.refresh_from_db()
    assert job.attempts == 1


@pytest.mark.parametrize("reason", ["rateLimitExceeded", "userRateLimitExceeded"])
def test_a_rate_limit_is_an_ordinary_retry_with_back_off(channel, asset, fake_youtube, reason):
    fake_youtube.initiation_status = 403
    fake_youtube.initiation_reason = reason
    job = _job(channel, asset)

    outcome = run_job(job_id=job.pk)

    job.refresh_from_db()
    assert outcome.retry_in is not None
    assert job.status == JobStatus.QUEUED
    assert job.waiting_reason == WaitingReason.RETRY
    assert job.attempts == 1
    assert job.run_after < quota_next_reset()


def test_a_resumed_upload_session_is_charged_once(channel, asset, fake_youtube):
    fake_youtube.chunk_failures = {2: 503}
    job = _job(channel, asset)
    assert run_job(job_id=job.pk).status == JobStatus.QUEUED
    Job.objects.filter(pk=job.pk).update(run_after=None)

    assert run_job(job_id=job.pk).status == JobStatus.SUCCEEDED

    assert fake_youtube.status_queries == 1  # the second run resumed the open session
    assert _uploads_spent() == {"youtube:shared": 1, f"youtube:shared:user:{job.user_id}": 1}
