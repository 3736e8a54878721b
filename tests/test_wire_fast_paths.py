"""The hand-built representations of the hot list endpoints equal what DRF itself builds.

``JobSerializer`` and ``ChannelSerializer`` write their dict directly and the renderer
camelCases keys with a memo (README "Serving"); these tests hold both to the generic code
they replace, on every shape a job or channel can take.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.translation import gettext_lazy
from djangorestframework_camel_case.util import camelize as library_camelize
from rest_framework import serializers

from channels_app.api.serializers import ChannelSerializer
from channels_app.models import ChannelStatus
from core.renderers import camelize
from tests.factories import ChannelFactory, JobFactory
from uploads.api.serializers import JobSerializer
from uploads.models import JobStatus, WaitingReason

pytestmark = pytest.mark.django_db


def _drf(serializer: serializers.ModelSerializer, instance: object) -> dict:
    """What DRF's field-by-field ``to_representation`` gives for ``instance``."""
    return dict(serializers.ModelSerializer.to_representation(serializer, instance))


def _every_job_shape(user) -> list:
    """One job of each shape: queued, scheduled, waiting for a retry, done, failed without
    its channel."""
    now = timezone.now()
    channel = ChannelFactory(user=user)
    jobs = [
        JobFactory(channel=channel),
        JobFactory(channel=channel, scheduled_at=now + timedelta(days=2), description="d"),
        JobFactory(
            channel=channel,
            run_after=now + timedelta(minutes=5),
            waiting_reason=WaitingReason.RETRY,
            attempts=2,
        ),
        JobFactory(
            channel=channel,
            status=JobStatus.SUCCEEDED,
            progress=100,
            started_at=now - timedelta(minutes=3),
            finished_at=now,
            result={"provider_id": "abc123", "url": "https://youtu.be/abc123"},
        ),
        JobFactory(
            channel=channel,
            status=JobStatus.FAILED,
            attempts=5,
            error={"code": "upload_failed", "message": "The platform refused the file."},
        ),
    ]
    jobs[-1].channel = None  # a job whose channel was deleted keeps its history
    jobs[-1].save(update_fields=["channel"])
    for job in jobs:
        job.refresh_from_db()
    return jobs


def test_every_job_shape_is_written_as_drf_writes_it(user) -> None:
    jobs = _every_job_shape(user)
    for job in jobs:
        assert JobSerializer(job).data == _drf(JobSerializer(), job)
    assert JobSerializer(jobs[2]).data["waiting_for"]["reason"] == "retry"


def test_the_jobs_list_shows_each_job_as_its_status_does(user, auth_client) -> None:
    """The list builds jobs from their columns, its status from the model: same JSON."""
    jobs = _every_job_shape(user)
    listed = auth_client.get("/api/v1/jobs").json()["results"]
    assert len(listed) == len(jobs)
    for item in listed:
        assert item == auth_client.get(f"/api/v1/status/{item['id']}").json()
    assert {item["id"] for item in listed} == {str(job.id) for job in jobs}
    assert [item["waitingFor"] for item in listed].count(None) == len(jobs) - 1


def test_every_channel_shape_is_written_as_drf_writes_it(user) -> None:
    channels = [
        ChannelFactory(user=user),
        ChannelFactory(
            user=user,
            status=ChannelStatus.NEEDS_REAUTH,
            last_refreshed_at=timezone.now(),
            meta={"subscriber_count": 12, "thumbnails": [{"url_small": "https://x"}]},
        ),
    ]
    for channel in channels:
        channel.refresh_from_db()
        assert ChannelSerializer(channel).data == _drf(ChannelSerializer(), channel)


def test_the_renderer_camelcases_keys_as_the_library_does() -> None:
    data = {
        "count": 2,
        "next": None,
        "results": [
            {"provider_channel_id": "UC1", "meta": {"listing_url": "https://x", "a_1_b": 1}},
            {"waiting_for": {"reason": "retry", "until": "2026-01-01T00:00:00Z"}},
        ],
        "errors": ({"attr": "channel_id", "detail": gettext_lazy("This field is required.")},),
        "_private": True,
        "already_camelCase": 1.5,
        7: "int key",
    }
    assert camelize(data) == library_camelize(data)
    assert camelize(data)["results"][0]["providerChannelId"] == "UC1"
