"""``publish_job_event``: the event shapes, after-commit delivery, and delivery from threads."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from celery.contrib.testing.worker import start_worker
from django.db import transaction
from django.utils import timezone

from gateway.celery import app as celery_app
from tests.factories import JobFactory
from tests.realtime.conftest import events_of_a_run, in_thread, open_socket, running_update
from tests.support.processes import free_port
from uploads.events import build_job_event, publish_job_event
from uploads.models import Job, JobStatus
from uploads.runner import embedded_runner
from uploads.tasks import run_job_task


def _job(**fields: Any) -> Job:
    return JobFactory.build(channel__user__plan=None, **fields)


@pytest.mark.parametrize("progress", [0, 42, 99])
def test_a_running_job_is_a_job_update_from_its_start(progress):
    job = _job(status=JobStatus.RUNNING, progress=progress)

    assert build_job_event(job) == {
        "type": "job:update",
        "jobId": str(job.id),
        "status": "RUNNING",
        "progress": progress,
        "waitingFor": None,
    }


def test_a_job_queued_again_for_a_retry_says_what_it_waits_for():
    until = timezone.now() + timedelta(seconds=90)
    job = _job(status=JobStatus.QUEUED, progress=30, run_after=until, waiting_reason="retry")

    assert build_job_event(job) == {
        "type": "job:update",
        "jobId": str(job.id),
        "status": "QUEUED",
        "progress": 30,
        "waitingFor": {"reason": "retry", "until": until.isoformat().replace("+00:00", "Z")},
    }


def test_a_canceled_job_is_job_canceled():
    job = _job(status=JobStatus.CANCELED)

    assert build_job_event(job) == {
        "type": "job:canceled",
        "jobId": str(job.id),
        "status": "CANCELED",
    }


def test_a_succeeded_job_is_job_done_with_its_result_in_camel_case():
    job = _job(
        status=JobStatus.SUCCEEDED,
        progress=100,
        result={"provider_id": "abc", "url": "https://youtu.be/abc"},
    )

    assert build_job_event(job) == {
        "type": "job:done",
        "jobId": str(job.id),
        "status": "SUCCEEDED",
        "progress": 100,
        "result": {"providerId": "abc", "url": "https://youtu.be/abc"},
    }


def test_a_failed_job_is_job_failed_with_its_error():
    job = _job(status=JobStatus.FAILED, progress=30, error={"code": "quota", "message": "Full."})

    assert build_job_event(job) == {
        "type": "job:failed",
        "jobId": str(job.id),
        "status": "FAILED",
        "error": {"code": "quota", "message": "Full."},
    }


# --- delivery ------------------------------------------------------------------------
# Consumers look users up through database_sync_to_async, which closes the connection of a
# test-wrapping transaction: these tests commit for real.


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("channel_layer_backend")
def test_the_event_leaves_only_when_the_transaction_commits(user):
    job = JobFactory(channel__user=user)
    published, commit = threading.Event(), threading.Event()

    def change_job() -> None:
        with transaction.atomic():
            Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, progress=40)
            job.refresh_from_db()
            publish_job_event(job)
            published.set()
            commit.wait(timeout=5)

    async def scenario() -> None:
        ws = await open_socket(user)
        writer = in_thread(change_job)
        await asyncio.to_thread(published.wait, 5)

        assert await ws.receive_nothing(timeout=0.3)  # still in the transaction
        commit.set()
        assert await ws.receive_json_from() == running_update(job, 40)
        await asyncio.to_thread(writer.join, 5)
        await ws.disconnect()

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("channel_layer_backend")
def test_a_rolled_back_change_sends_nothing(user):
    job = JobFactory(channel__user=user)

    class Abort(Exception):
        pass

    def change_job_then_fail() -> None:
        try:
            with transaction.atomic():
                Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, progress=40)
                job.refresh_from_db()
                publish_job_event(job)
                raise Abort
        except Abort:
            pass

    async def scenario() -> None:
        ws = await open_socket(user)
        writer = in_thread(change_job_then_fail)
        await asyncio.to_thread(writer.join, 5)

        assert await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()

    async_to_sync(scenario)()
    job.refresh_from_db()
    assert (job.status, job.progress) == (JobStatus.QUEUED, 0)


@pytest.mark.django_db
def test_an_unreachable_channel_layer_is_logged_and_does_not_fail_the_caller(
    settings, caplog, django_capture_on_commit_callbacks
):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{free_port()}/0"]},  # nothing listens
        }
    }
    job = JobFactory(status=JobStatus.RUNNING, progress=10)

    with (
        caplog.at_level(logging.WARNING, logger="uploads.events"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        publish_job_event(job)

    assert [record.getMessage() for record in caplog.records] == ["job event not delivered"]
    assert caplog.records[0].jobId == str(job.id)


@pytest.mark.django_db(transaction=True)
def test_embedded_mode_a_job_run_by_the_in_process_runner_reaches_the_socket(
    user, settings, instant_provider
):
    """The in-memory layer only wakes sockets from their own loop: the send is handed over."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    job = JobFactory(channel__user=user)

    async def scenario() -> None:
        ws = await open_socket(user)
        started = time.monotonic()
        runner = in_thread(embedded_runner.run_due_jobs)  # what the runner's thread does

        # Nothing else wakes this loop: a send that was not handed to it would only be seen
        # when the receive times out.
        for expected in events_of_a_run(job):
            assert await ws.receive_json_from(timeout=5) == expected
        assert time.monotonic() - started < 3
        await asyncio.to_thread(runner.join, 5)
        assert await ws.receive_nothing()
        await ws.disconnect()

    async_to_sync(scenario)()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("failed", [False, True], ids=["succeeded", "failed"])
def test_a_job_run_by_a_celery_worker_reaches_its_owner_in_order_and_no_one_else(
    user, other_user, instant_provider, failed
):
    instant_provider.fail = failed
    job = JobFactory(channel__user=user)

    async def scenario() -> None:
        owner, stranger = await open_socket(user), await open_socket(other_user)
        await sync_to_async(run_job_task.delay)(str(job.id))

        for expected in events_of_a_run(job, failed=failed):
            assert await owner.receive_json_from(timeout=10) == expected
        assert await owner.receive_nothing(timeout=0.3)
        assert await stranger.receive_nothing(timeout=0.3)
        await owner.disconnect()
        await stranger.disconnect()

    with start_worker(celery_app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        async_to_sync(scenario)()
