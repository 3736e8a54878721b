"""The pipeline's rules that hold whatever the platform: a job whose channel is gone, a database
that fails during a run."""

from __future__ import annotations

import pytest
from celery.exceptions import Retry
from django.db import OperationalError

from billing.models import PlanUsage
from channels_app.models import Channel
from tests.factories import JobFactory
from tests.realtime.conftest import RESULT, instant_provider  # noqa: F401 - a fixture
from uploads.models import Job, JobStatus
from uploads.services.pipeline import RunOutcome, run_job
from uploads.tasks import run_job_task

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


@pytest.mark.django_db(transaction=True)
def test_a_database_error_mid_run_hands_the_job_back_without_failing_it(
    channel,
    instant_provider,  # noqa: F811 - the fixture imported above
    monkeypatch,
):
    # Given a run that loses its database connection half-way (a deadlock, a restart...)
    calls = 0

    def publish(request, *, on_progress, on_session):
        nonlocal calls
        calls += 1
        on_progress(40)
        if calls == 1:
            raise OperationalError("the connection is lost")
        return RESULT

    monkeypatch.setattr(instant_provider, "publish", publish)
    job = JobFactory(channel=channel)

    # When a worker runs it
    first = run_job(job_id=job.pk)

    # Then the job is queued again at once, its attempt not counted, and no error recorded
    job.refresh_from_db()
    assert first == RunOutcome(status=JobStatus.QUEUED, retry_in=0.0)
    assert (job.status, job.attempts, job.error, job.run_after) == (JobStatus.QUEUED, 0, None, None)
    assert job.waiting_for is None

    # And the next run finishes it
    assert run_job(job_id=job.pk).status == JobStatus.SUCCEEDED
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 1)


@pytest.mark.django_db(transaction=True)
def test_the_task_retries_soon_when_the_database_fails_before_the_claim(channel, monkeypatch):
    # Given a database that refuses the claim
    job = JobFactory(channel=channel)

    def claim(job_id, owner_id, lease_id):
        raise OperationalError("connection refused")

    monkeypatch.setattr("uploads.services.pipeline._job_claim", claim)

    # When the task runs, then Celery is asked to run it again in a second, the job untouched
    with pytest.raises(Retry) as retry:
        run_job_task.apply(args=[str(job.pk)], throw=True)
    assert retry.value.when == 1
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 0)


@pytest.mark.django_db(transaction=True)
def test_a_run_reads_its_job_once_and_writes_each_change_once(
    channel,
    instant_provider,  # noqa: F811 - the fixture imported above
    django_assert_max_num_queries,
):
    # Given a queued job on a platform that reports 25, 50 and 75 % before it succeeds
    job = JobFactory(channel=channel)

    # When a worker runs it, then it costs the look-up of its owner (every write names it), the
    # claim, one read, the three progress writes and the success, plus one look-up of the
    # owner's webhook endpoints per event (five events): the events are built from the job the
    # worker holds, not read again
    with django_assert_max_num_queries(12):
        assert run_job(job_id=job.pk).status == JobStatus.SUCCEEDED
    job.refresh_from_db()
    assert (job.status, job.progress, job.attempts) == (JobStatus.SUCCEEDED, 100, 1)
