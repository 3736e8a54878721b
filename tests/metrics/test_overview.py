"""GET /api/v1/metrics/overview: exact figures after a scripted history, in at most 4 queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import session_start
from billing.models import Plan, PlanUsage
from billing.services import month_start, plans_seed, upload_slot_release, upload_slot_reserve
from tests.factories import ChannelFactory, JobFactory, UserFactory
from uploads.models import Job, JobStatus, StoredAsset
from uploads.services.jobs import job_cancel

GIB = 1024**3


@pytest.fixture
def pro_user(db):
    plans_seed()
    return UserFactory(plan=Plan.objects.get(code="pro"))


def bearer_client(user) -> APIClient:
    """A client with a real access token, so authentication's own query is counted too."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {session_start(user=user).access}")
    return client


def accept_upload(channel, status: str = JobStatus.QUEUED) -> Job:
    """An upload accepted as the API accepts one: a slot of this month's quota, then the job."""
    period = upload_slot_reserve(user=channel.user)
    return JobFactory(channel=channel, status=status, quota_period=period)


def stored(user, size: int, *, uploaded: bool, age: timedelta = timedelta(0)) -> None:
    asset = StoredAsset.objects.create(
        user=user,
        key=f"uploads/{user.pk}/{size}-{uploaded}",
        filename="a.mp4",
        content_type="video/mp4",
        size_bytes=size,
        uploaded_at=timezone.now() if uploaded else None,
    )
    StoredAsset.objects.filter(pk=asset.pk).update(created_at=timezone.now() - age)


def test_the_overview_after_a_scripted_history(pro_user):
    # given three channels
    first, second, _third = (ChannelFactory(user=pro_user) for _ in range(3))
    # and last month: four uploads that succeeded
    last_month = month_start(timezone.now().replace(day=1) - timedelta(days=1))
    PlanUsage.objects.create(user=pro_user, period_start=last_month, uploads=4)
    JobFactory.create_batch(4, channel=first, status=JobStatus.SUCCEEDED, quota_period=last_month)
    # and this month: six accepted, of which one canceled and one failed (their slots given back)
    accept_upload(first)
    accept_upload(second)
    accept_upload(first, JobStatus.RUNNING)
    accept_upload(second, JobStatus.SUCCEEDED)
    job_cancel(job=accept_upload(first))
    failed = accept_upload(second, JobStatus.FAILED)
    upload_slot_release(user_id=pro_user.pk, period=failed.quota_period)
    # and stored files: two uploaded, one presign still open, one presign expired without a file
    stored(pro_user, 1_000, uploaded=True, age=timedelta(days=40))
    stored(pro_user, 2_500, uploaded=True)
    stored(pro_user, 500, uploaded=False)
    stored(pro_user, 9_999, uploaded=False, age=timedelta(days=1))
    # and someone else's activity, which must not count
    other_channel = ChannelFactory(user=UserFactory())
    JobFactory.create_batch(3, channel=other_channel)
    stored(other_channel.user, 7_777, uploaded=True)

    response = bearer_client(pro_user).get("/api/v1/metrics/overview")

    assert response.status_code == 200
    assert response.json() == {
        "platforms": {"connected": 3, "limit": 5},
        "uploads": {"used": 4, "quota": 50},
        "jobs": {"queued": 2, "running": 1, "succeeded": 5, "failed": 1},
        "storage": {"usedBytes": 4_000, "limitBytes": 50 * GIB},
    }


def test_an_unlimited_plan_reports_null_limits_and_a_new_user_zeros(db):
    plans_seed()
    user = UserFactory(plan=Plan.objects.get(code="agency"))
    Plan.objects.filter(code="agency").update(storage_limit_bytes=None)
    user.refresh_from_db()

    body = bearer_client(user).get("/api/v1/metrics/overview").json()

    assert body == {
        "platforms": {"connected": 0, "limit": 10},
        "uploads": {"used": 0, "quota": None},
        "jobs": {"queued": 0, "running": 0, "succeeded": 0, "failed": 0},
        "storage": {"usedBytes": 0, "limitBytes": None},
    }


@pytest.mark.parametrize("jobs", [10, 1_000])
def test_the_overview_costs_at_most_four_queries(pro_user, jobs, django_assert_max_num_queries):
    # given many channels and jobs in every status
    channels = [ChannelFactory(user=pro_user) for _ in range(5)]
    statuses = list(JobStatus)
    Job.objects.bulk_create(
        Job(
            user=pro_user,
            channel=channels[i % 5],
            platform=channels[i % 5].platform,
            asset_url="https://cdn.example.com/v.mp4",
            title=f"Episode {i}",
            status=statuses[i % len(statuses)],
        )
        for i in range(jobs)
    )
    client = bearer_client(pro_user)

    # when the overview is read (authentication included)
    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/metrics/overview")

    # then the figures are whole
    assert response.status_code == 200
    assert response.json()["jobs"] == {
        "queued": jobs // 5,
        "running": jobs // 5,
        "succeeded": jobs // 5,
        "failed": jobs // 5,
    }
    assert response.json()["platforms"]["connected"] == 5


def test_the_overview_needs_a_token(api_client):
    assert api_client.get("/api/v1/metrics/overview").status_code == 401
