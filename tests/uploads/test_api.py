"""The uploads and jobs endpoints (docs/api.md): shapes, codes, quota, idempotency, retry."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import Plan, PlanUsage
from channels_app.models import Channel, ChannelStatus
from channels_app.services.disconnect import channel_disconnect
from tests.factories import ChannelFactory, JobFactory, UserFactory
from uploads.models import Job, JobStatus

pytestmark = pytest.mark.django_db

ASSET = "https://cdn.example.com/video.mp4"


@pytest.fixture(autouse=True)
def public_dns(monkeypatch):
    """cdn.example.com is a public host; other names resolve as usual (numeric ones offline)."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host == "cdn.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.fixture
def dispatched(monkeypatch) -> list:
    sent: list = []
    monkeypatch.setattr("uploads.services.jobs.job_dispatch", lambda job: sent.append(job.pk))
    return sent


def _upload(client, channel, **overrides):
    body = {"channelId": str(channel.pk), "assetUrl": ASSET, "title": "My video", **overrides}
    headers = {}
    if "idempotency_key" in overrides:
        headers["HTTP_IDEMPOTENCY_KEY"] = body.pop("idempotency_key")
    return client.post("/api/v1/upload", body, format="json", **headers)


def _codes(response) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


def test_an_upload_is_accepted_queued_and_dispatched_after_commit(
    auth_client, channel, dispatched, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _upload(auth_client, channel, description="About it")

    assert response.status_code == 202
    job = Job.objects.get()
    assert response.json() == {"jobId": str(job.pk), "status": "QUEUED"}
    assert job.user == channel.user
    assert job.platform == "youtube"
    assert job.description == "About it"
    assert job.run_after is None
    assert dispatched == [job.pk]
    # The owner's kept lists retired, the dispatch; an accepted job is not announced on the feed.
    assert [callback.__module__ for callback in callbacks] == [
        "core.owner_versions",
        "uploads.services.jobs",
    ]
    assert PlanUsage.objects.get(user=channel.user).uploads == 1


def test_the_job_shape_of_status(auth_client, channel):
    job = JobFactory(
        channel=channel,
        status=JobStatus.SUCCEEDED,
        progress=100,
        attempts=1,
        result={"provider_id": "abc", "url": "https://www.youtube.com/watch?v=abc"},
        scheduled_at=timezone.now(),
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )

    response = auth_client.get(f"/api/v1/status/{job.pk}")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "id", "status", "progress", "platform", "channelId", "title", "description", "assetUrl",
        "scheduledAt", "createdAt", "startedAt", "finishedAt", "attempts", "error", "result",
        "waitingFor",
    }  # fmt: skip
    assert body["id"] == str(job.pk)
    assert body["status"] == "SUCCEEDED"
    assert body["channelId"] == str(channel.pk)
    assert body["error"] is None
    assert body["result"] == {"providerId": "abc", "url": "https://www.youtube.com/watch?v=abc"}
    assert body["createdAt"].endswith("Z")
    assert body["waitingFor"] is None


def test_a_job_in_retry_back_off_shows_what_it_waits_for(auth_client, channel):
    # Given a job queued again after a transient error, due in ten minutes
    until = timezone.now() + timedelta(minutes=10)
    job = JobFactory(channel=channel, attempts=1, run_after=until, waiting_reason="retry")

    # When its owner reads it
    body = auth_client.get(f"/api/v1/status/{job.pk}").json()

    # Then it says why it has not started and until when
    assert body["status"] == "QUEUED"
    assert body["waitingFor"] == {
        "reason": "retry",
        "until": until.isoformat().replace("+00:00", "Z"),
    }


def test_a_scheduled_job_waits_for_nothing_but_its_time(auth_client, channel):
    job = JobFactory(channel=channel, run_after=timezone.now() + timedelta(hours=2))

    body = auth_client.get(f"/api/v1/status/{job.pk}").json()

    assert body["waitingFor"] is None


def test_a_failed_job_shows_its_error(auth_client, channel):
    job = JobFactory(channel=channel, status=JobStatus.FAILED, error={"code": "x", "message": "y"})

    body = auth_client.get(f"/api/v1/status/{job.pk}").json()

    assert body["error"] == {"code": "x", "message": "y"}
    assert body["result"] is None


def test_another_users_job_and_channel_are_404(client_for, channel, dispatched):
    other = client_for(UserFactory())
    job = JobFactory(channel=channel)

    assert other.get(f"/api/v1/status/{job.pk}").status_code == 404
    assert other.post(f"/api/v1/jobs/{job.pk}/cancel").status_code == 404
    assert other.post(f"/api/v1/jobs/{job.pk}/retry").status_code == 404
    response = _upload(other, channel)
    assert response.status_code == 404
    assert Job.objects.count() == 1
    assert dispatched == []


@pytest.mark.parametrize("status", [ChannelStatus.NEEDS_REAUTH, ChannelStatus.PENDING])
def test_a_channel_that_is_not_active_is_409(auth_client, user, status, dispatched):
    channel = ChannelFactory(user=user, status=status)

    response = _upload(auth_client, channel)

    assert response.status_code == 409
    assert _codes(response) == ["channel_not_active"]
    assert not Job.objects.exists()
    assert not PlanUsage.objects.exists()


def test_a_platform_without_uploads_is_409_upload_unsupported(auth_client, user):
    channel = ChannelFactory(user=user, platform="spotify")

    response = _upload(auth_client, channel)

    assert response.status_code == 409
    assert _codes(response) == ["upload_unsupported"]


def test_a_platform_that_does_not_match_the_channel_is_400(auth_client, channel):
    response = _upload(auth_client, channel, platform="soundcloud")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "platform"
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", ""), ("title", "x" * 101), ("description", "x" * 5001), ("title", "x" * 501)],
)
def test_titles_and_descriptions_follow_youtube_limits(auth_client, channel, field, value):
    response = _upload(auth_client, channel, **{field: value})

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == field
    assert not Job.objects.exists()


def test_the_limits_themselves_are_accepted(auth_client, channel, dispatched):
    response = _upload(auth_client, channel, title="x" * 100, description="y" * 5000)

    assert response.status_code == 202


def test_the_quota_of_the_free_plan_is_2_uploads_a_month(auth_client, channel, dispatched):
    assert _upload(auth_client, channel).status_code == 202
    assert _upload(auth_client, channel).status_code == 202

    response = _upload(auth_client, channel)

    assert response.status_code == 403
    assert _codes(response) == ["plan_limit_reached"]
    assert Job.objects.count() == 2
    assert PlanUsage.objects.get().uploads == 2


def test_a_canceled_job_gives_its_slot_back(auth_client, channel, dispatched):
    first = _upload(auth_client, channel).json()["jobId"]
    _upload(auth_client, channel)

    response = auth_client.post(f"/api/v1/jobs/{first}/cancel")

    assert response.status_code == 200
    assert response.json()["status"] == "CANCELED"
    assert response.json()["finishedAt"] is not None
    assert PlanUsage.objects.get().uploads == 1
    assert _upload(auth_client, channel).status_code == 202


def test_an_unlimited_plan_is_not_limited_but_counted(client_for, plans, dispatched):
    user = UserFactory(plan=Plan.objects.get(code="agency"))
    channel = ChannelFactory(user=user)
    client = client_for(user)

    statuses = [_upload(client, channel).status_code for _ in range(5)]

    assert statuses == [202] * 5
    assert PlanUsage.objects.get(user=user).uploads == 5


def test_an_idempotency_key_returns_the_first_job(
    auth_client, channel, dispatched, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = _upload(auth_client, channel, idempotency_key="key-1")

    with django_capture_on_commit_callbacks(execute=True):
        again = _upload(auth_client, channel, idempotency_key="key-1")

    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert Job.objects.count() == 1
    assert PlanUsage.objects.get().uploads == 1
    assert len(dispatched) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Another"},
        {"description": "Other words"},
        {"assetUrl": "https://cdn.example.com/other.mp4"},
        {"platform": "youtube"},
        {"scheduledAt": "2031-01-01T00:00:00Z"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_an_idempotency_key_sent_with_another_request_is_422_and_changes_nothing(
    auth_client, channel, dispatched, change
):
    # Given an upload accepted with a key
    first = _upload(auth_client, channel, idempotency_key="key-1")
    assert first.status_code == 202

    # When the key comes again with a different body
    again = _upload(auth_client, channel, idempotency_key="key-1", **change)

    # Then it is refused and nothing else is created or counted
    assert again.status_code == 422
    assert again.json() == {
        "type": "client_error",
        "errors": [
            {
                "code": "idempotency_key_reused",
                "detail": "This Idempotency-Key was already used for a different upload.",
                "attr": None,
            }
        ],
    }
    assert Job.objects.count() == 1
    assert PlanUsage.objects.get().uploads == 1


def test_an_idempotency_key_on_another_channel_is_422(auth_client, channel, dispatched):
    other = ChannelFactory(user=channel.user)
    _upload(auth_client, channel, idempotency_key="key-1")

    again = _upload(auth_client, other, idempotency_key="key-1")

    assert again.status_code == 422
    assert Job.objects.count() == 1


def test_a_future_scheduled_at_holds_a_youtube_job_until_the_lead_time(
    auth_client, channel, dispatched, django_capture_on_commit_callbacks
):
    scheduled_at = timezone.now() + timedelta(hours=5)

    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(auth_client, channel, scheduledAt=scheduled_at.isoformat())

    assert response.status_code == 202
    job = Job.objects.get()
    assert job.scheduled_at == scheduled_at
    assert job.run_after == scheduled_at - timedelta(hours=1)


def test_a_past_scheduled_at_means_now(auth_client, channel, dispatched):
    past = timezone.now() - timedelta(minutes=5)

    _upload(auth_client, channel, scheduledAt=past.isoformat())

    assert Job.objects.get().run_after is None


def test_only_a_queued_job_can_be_canceled(auth_client, channel):
    job = JobFactory(channel=channel, status=JobStatus.RUNNING)

    response = auth_client.post(f"/api/v1/jobs/{job.pk}/cancel")

    assert response.status_code == 409
    assert _codes(response) == ["job_not_cancelable"]
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING


def test_a_failed_job_is_retried_with_a_new_slot(
    auth_client, channel, dispatched, django_capture_on_commit_callbacks
):
    job = JobFactory(
        channel=channel,
        status=JobStatus.FAILED,
        attempts=3,
        quota_period=None,
        error={"code": "backendError", "message": "no"},
        finished_at=timezone.now(),
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(f"/api/v1/jobs/{job.pk}/retry")

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "QUEUED"
    assert body["attempts"] == 0
    assert body["error"] is None
    assert body["finishedAt"] is None
    assert PlanUsage.objects.get().uploads == 1
    assert dispatched == [job.pk]


def test_a_retry_over_quota_is_403_and_changes_nothing(auth_client, channel, dispatched):
    PlanUsage.objects.create(
        user=channel.user, period_start=timezone.now().date().replace(day=1), uploads=2
    )
    job = JobFactory(channel=channel, status=JobStatus.FAILED, quota_period=None)

    response = auth_client.post(f"/api/v1/jobs/{job.pk}/retry")

    assert response.status_code == 403
    assert _codes(response) == ["plan_limit_reached"]
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert PlanUsage.objects.get().uploads == 2


@pytest.mark.parametrize("disconnected", [False, True])
def test_a_retry_on_a_channel_that_is_not_active_is_409_and_changes_nothing(
    auth_client, channel, dispatched, disconnected
):
    job = JobFactory(channel=channel, status=JobStatus.FAILED, quota_period=None)
    if disconnected:
        channel.delete()
    else:
        Channel.objects.filter(pk=channel.pk).update(status=ChannelStatus.NEEDS_REAUTH)

    response = auth_client.post(f"/api/v1/jobs/{job.pk}/retry")

    assert response.status_code == 409
    assert _codes(response) == ["channel_not_active"]
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert not PlanUsage.objects.filter(uploads__gt=0).exists()
    assert dispatched == []


def test_only_a_failed_job_can_be_retried(auth_client, channel):
    job = JobFactory(channel=channel, status=JobStatus.SUCCEEDED)

    response = auth_client.post(f"/api/v1/jobs/{job.pk}/retry")

    assert response.status_code == 409
    assert _codes(response) == ["job_not_retryable"]


def test_jobs_list_filters_and_pages_at_a_fixed_query_count(
    auth_client, channel, user, django_assert_max_num_queries
):
    other_channel = ChannelFactory(user=user)
    JobFactory.create_batch(25, channel=channel)
    JobFactory.create_batch(3, channel=other_channel, status=JobStatus.FAILED)
    JobFactory(channel=ChannelFactory())  # someone else's

    with django_assert_max_num_queries(2):
        first_page = auth_client.get("/api/v1/jobs").json()
    with django_assert_max_num_queries(2):
        big_page = auth_client.get("/api/v1/jobs?pageSize=100").json()
    failed = auth_client.get("/api/v1/jobs", {"status": "FAILED"}).json()
    by_channel = auth_client.get("/api/v1/jobs", {"channelId": str(other_channel.pk)}).json()

    assert first_page["count"] == 28
    assert len(first_page["results"]) == 20
    assert first_page["next"].endswith("/api/v1/jobs?page=2")
    assert len(big_page["results"]) == 28
    assert failed["count"] == 3
    assert {job["status"] for job in failed["results"]} == {"FAILED"}
    assert by_channel["count"] == 3


def test_jobs_list_updated_since_returns_what_changed_after_it(auth_client, channel):
    old, recent = JobFactory.create_batch(2, channel=channel)
    cutoff = timezone.now()
    Job.objects.filter(pk=old.pk).update(updated_at=cutoff - timedelta(minutes=1))
    Job.objects.filter(pk=recent.pk).update(updated_at=cutoff + timedelta(seconds=1))

    response = auth_client.get("/api/v1/jobs", {"updatedSince": cutoff.isoformat()})

    assert response.status_code == 200
    assert [job["id"] for job in response.json()["results"]] == [str(recent.pk)]


def test_jobs_list_refuses_a_bad_filter(auth_client):
    response = auth_client.get("/api/v1/jobs", {"status": "DONE", "updatedSince": "yesterday"})

    assert response.status_code == 400
    assert {error["attr"] for error in response.json()["errors"]} == {"status", "updatedSince"}


def test_uploads_need_a_token(api_client, channel):
    assert _upload(api_client, channel).status_code == 401
    assert api_client.get("/api/v1/jobs").status_code == 401


def test_disconnecting_a_channel_cancels_its_queued_jobs_and_gives_their_slots_back(
    auth_client, channel, dispatched
):
    _upload(auth_client, channel)
    running = JobFactory(channel=channel, status=JobStatus.RUNNING)

    channel_disconnect(channel=channel)

    canceled = Job.objects.get(status=JobStatus.CANCELED)
    assert canceled.error == {
        "code": "channel_disconnected",
        "message": "The channel was disconnected.",
    }
    assert canceled.quota_period is None
    running.refresh_from_db()
    assert running.status == JobStatus.RUNNING
    assert running.channel is None
    assert PlanUsage.objects.get().uploads == 0
