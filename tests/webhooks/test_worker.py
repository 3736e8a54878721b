"""Deliveries with a real Celery worker consuming from Redis, as in production."""

from __future__ import annotations

import threading
import time

import pytest

from core.redis import get_redis
from gateway.celery import app as celery_app
from tests.factories import JobFactory
from tests.uploads.test_worker import worker  # noqa: F401 - the same real worker
from uploads.events import publish_job_event
from uploads.models import JobStatus
from uploads.tasks import run_job_task
from webhooks import sending
from webhooks.delivery import delivery_attempt
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.runner import embedded_sender
from webhooks.tasks import deliveries_dispatch_due, deliveries_start, delivery_send

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        deliveries_dispatch_due.delay()  # what the beat does every WEBHOOK_DISPATCH_INTERVAL
        time.sleep(0.1)
    raise AssertionError("the deliveries did not arrive in time")


@pytest.mark.usefixtures("worker")
def test_the_worker_delivers_a_jobs_events_in_order_through_retries(user, receiver_for):
    # Given an endpoint that answers 500 twice, then 200
    receiver = receiver_for(user, answers=[500, 500])
    job = JobFactory(channel__user=user)

    # When the job runs and finishes (each change published after its commit)
    for progress in (10, 60):
        job.status, job.progress = JobStatus.RUNNING, progress
        job.save()
        publish_job_event(job)
    job.status, job.progress, job.result = (
        JobStatus.SUCCEEDED,
        100,
        {"provider_id": "v", "url": "u"},
    )
    job.save()
    publish_job_event(job)

    # Then the receiver verified every attempt and got the three events in order
    wait_for(lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 3)
    assert all(r.verified for r in receiver.received)
    assert [(r.event["type"], r.event.get("progress"), r.answered) for r in receiver.received] == [
        ("job:update", 10, 500),
        ("job:update", 10, 500),
        ("job:update", 10, 200),
        ("job:update", 60, 200),
        ("job:done", 100, 200),
    ]
    assert len({r.webhook_id for r in receiver.received[:3]}) == 1
    assert len({r.webhook_id for r in receiver.received}) == 3


def test_an_attempt_is_made_once_however_often_it_is_started(user, receiver_for):
    receiver = receiver_for(user)
    job = JobFactory(channel__user=user, status=JobStatus.RUNNING, progress=5)
    get_redis().flushdb()
    publish_job_event(job)  # queued for a worker that is not running
    delivery = WebhookDelivery.objects.get()

    outcomes = [delivery_attempt(delivery_id=delivery.id) for _ in range(3)]

    assert [o.claimed for o in outcomes] == [True, False, False]
    assert len(receiver.received) == 1


@pytest.fixture
def embedded(settings):
    settings.REDIS_URL = ""  # embedded mode: no broker, a thread of the server sends
    embedded_sender.start()  # as WebhooksConfig.ready() does in a server process
    yield embedded_sender
    embedded_sender.stop()


def test_without_redis_a_background_thread_delivers_not_the_publisher(
    user, receiver_for, embedded, monkeypatch
):
    # Given an endpoint in embedded mode
    receiver = receiver_for(user)
    job = JobFactory(channel__user=user, status=JobStatus.RUNNING, progress=5)
    publisher = threading.get_ident()
    threads: list[int] = []
    real_send = sending.send

    def recording_send(**kwargs):
        threads.append(threading.get_ident())
        return real_send(**kwargs)

    monkeypatch.setattr("webhooks.delivery.send", recording_send)

    # When the job's event is published
    publish_job_event(job)

    # Then the publisher returned at once and the sender thread delivered it
    deadline = time.monotonic() + 10
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [r.answered for r in receiver.received] == [200]
    assert receiver.received[0].verified
    assert threads
    assert publisher not in threads


def test_deliveries_have_a_queue_of_their_own_that_a_default_worker_also_serves():
    route = celery_app.amqp.router.route

    assert route({}, delivery_send.name)["queue"].name == "webhooks"
    assert route({}, deliveries_start.name)["queue"].name == "webhooks"
    assert route({}, run_job_task.name)["queue"].name == "celery"
    assert set(celery_app.amqp.queues) == {"celery", "webhooks"}  # what a worker without -Q takes
