"""The pipeline's rules that hold whatever the platform: a job whose channel is gone."""

from __future__ import annotations

import pytest

from billing.models import PlanUsage
from channels_app.models import Channel
from tests.factories import JobFactory
from uploads.models import Job, JobStatus
from uploads.services.pipeline import run_job

pytestmark = pytest.mark.django_db


def test_a_queued_job_whose_channel_was_deleted_is_canceled_when_claimed(channel, events):
    # Given a queued job holding a quota slot, whose channel row is gone without the
    # disconnect service (e.g. removed between acceptance and the claim)
    job = JobFactory(channel=channel)
    PlanUsage.objects.create(user=channel.user, period_start=job.quota_period, uploads=1)
    Channel.objects.filter(pk=channel.pk).delete()

    # When a worker picks it up
    outcome = run_job(job_id=job.pk)

    # Then it ends CANCELED as a disconnect would have left it, and its slot is given back
    job = Job.objects.get(pk=job.pk)
    assert outcome.status == JobStatus.CANCELED
    assert job.status == JobStatus.CANCELED
    assert job.error == {"code": "channel_disconnected", "message": "The channel was disconnected."}
    assert job.quota_period is None
    assert job.finished_at is not None
    assert PlanUsage.objects.get(user=channel.user).uploads == 0
