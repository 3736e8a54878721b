"""Embedded mode (no Redis), the Celery wiring, and the admin actions."""

from __future__ import annotations

import time
from datetime import timedelta
from unittest.mock import patch

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from accounts.models import User
from billing.models import PlanUsage
from gateway.celery import app as celery_app
from tests.factories import JobFactory
from uploads.models import Job, JobStatus
from uploads.runner import EmbeddedRunner, is_server_process
from uploads.services.dispatch import job_dispatch
from uploads.tasks import dispatch_due_jobs, run_job_task


@pytest.mark.parametrize(
    ("argv", "run_main", "expected"),
    [
        (["/app/.venv/bin/daphne", "-p", "4000", "gateway.asgi:application"], "", True),
        (["/usr/lib/python3.11/site-packages/daphne/__main__.py", "-p", "4000"], "", True),
        (["/app/.venv/bin/gunicorn", "gateway.asgi"], "", True),
        (["manage.py", "runserver"], "true", True),
        (["manage.py", "runserver"], "", False),  # the autoreloader's parent
        (["manage.py", "migrate"], "", False),
        (["/app/.venv/bin/celery", "-A", "gateway", "worker"], "", False),
        (["/app/.venv/bin/pytest"], "", False),
    ],
)
def test_the_embedded_runner_starts_only_in_a_server_process(argv, run_main, expected, monkeypatch):
    monkeypatch.setenv("RUN_MAIN", run_main)

    assert is_server_process(argv) is expected


@pytest.mark.django_db(transaction=True)
def test_the_embedded_runner_runs_due_jobs_in_process_and_holds_scheduled_ones(
    channel, asset, fake_youtube, settings
):
    settings.UPLOAD_DISPATCH_INTERVAL = timedelta(seconds=0.1)
    period = timezone.now().date().replace(day=1)
    PlanUsage.objects.create(user=channel.user, period_start=period, uploads=2)
    due = JobFactory(channel=channel, asset_url=asset.url)
    later = JobFactory(
        channel=channel, asset_url=asset.url, run_after=timezone.now() + timedelta(hours=1)
    )
    runner = EmbeddedRunner()

    runner.start()
    try:
        deadline = time.monotonic() + 20
        while Job.objects.get(pk=due.pk).status != JobStatus.SUCCEEDED:
            assert time.monotonic() < deadline, "the embedded runner did not run the job"
            time.sleep(0.05)
    finally:
        runner.stop()

    later.refresh_from_db()
    assert later.status == JobStatus.QUEUED
    assert later.attempts == 0
    assert len(fake_youtube.initiations) == 1


def test_the_task_is_acks_late_and_requeued_if_its_worker_is_lost():
    assert run_job_task.acks_late is True
    assert run_job_task.reject_on_worker_lost is True


def test_the_beat_schedule_re_dispatches_due_jobs():
    entry = django_settings.CELERY_BEAT_SCHEDULE["uploads-dispatch-due"]

    assert entry["task"] == dispatch_due_jobs.name == "uploads.tasks.dispatch_due_jobs"
    assert entry["schedule"] == 30.0


@pytest.fixture
def admin_client_(client, plans):
    admin = User.objects.create_superuser("ops@example.com", "pw-for-tests-123")
    client.force_login(admin)
    return client


@pytest.mark.django_db
def test_admin_actions_retry_and_cancel_through_the_services(admin_client_, channel):
    failed = JobFactory(channel=channel, status=JobStatus.FAILED, quota_period=None)
    queued = JobFactory(channel=channel)
    running = JobFactory(channel=channel, status=JobStatus.RUNNING)

    admin_client_.post(
        "/admin/uploads/job/", {"action": "retry_jobs", "_selected_action": [str(failed.pk)]}
    )
    admin_client_.post(
        "/admin/uploads/job/",
        {"action": "cancel_jobs", "_selected_action": [str(queued.pk), str(running.pk)]},
    )

    failed.refresh_from_db()
    queued.refresh_from_db()
    running.refresh_from_db()
    assert failed.status == JobStatus.QUEUED
    assert queued.status == JobStatus.CANCELED
    assert running.status == JobStatus.RUNNING  # not cancelable: reported, unchanged
    assert admin_client_.get(f"/admin/uploads/job/{failed.pk}/change/").status_code == 200


@pytest.mark.django_db
def test_an_unreachable_queue_leaves_the_job_queued_for_the_next_pass(channel, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    job = JobFactory(channel=channel)

    def broker_down(*args, **kwargs):
        raise KombuOperationalError("connection refused")

    with patch.object(run_job_task, "apply_async", broker_down):
        job_dispatch(job=job)  # does not raise

    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED


@pytest.mark.django_db
def test_without_redis_accepting_a_job_wakes_the_embedded_runner(channel, settings, monkeypatch):
    settings.REDIS_URL = ""
    woken = []
    monkeypatch.setattr("uploads.runner.embedded_runner.wake", lambda: woken.append(True))

    job_dispatch(job=JobFactory(channel=channel))

    assert woken == [True]


def test_a_worker_reserves_one_message_at_a_time_and_acknowledges_it_when_done():
    assert celery_app.conf.worker_prefetch_multiplier == 1
    assert celery_app.conf.task_acks_late is True
    assert celery_app.conf.task_reject_on_worker_lost is True
