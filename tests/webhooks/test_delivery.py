"""Job events reach the creators' endpoints signed, retried, in order, and an endpoint that
keeps failing is disabled with an email to its owner."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tests.factories import JobFactory
from tests.webhooks.conftest import endpoint_of
from uploads.events import build_job_event, publish_job_event
from uploads.models import JobStatus
from webhooks.delivery import deliveries_take_for_dispatch
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.services import deliveries_enqueue, endpoint_create
from webhooks.tasks import deliveries_dispatch_due

pytestmark = pytest.mark.usefixtures("celery_eager")


def publish(job, django_capture_on_commit_callbacks, **changes) -> None:
    for name, value in changes.items():
        setattr(job, name, value)
    job.save()
    with django_capture_on_commit_callbacks(execute=True):
        publish_job_event(job)


def run_retries(rounds: int = 10) -> None:
    """What the beat does every WEBHOOK_DISPATCH_INTERVAL (back-off is 0 s in these tests)."""
    for _ in range(rounds):
        if not deliveries_dispatch_due():
            return


def test_a_refused_delivery_is_retried_with_the_same_webhook_id_until_answered(
    user, receiver_for, django_capture_on_commit_callbacks
):
    # Given an endpoint that answers 500 twice, then 200
    receiver = receiver_for(user, answers=[500, 500])
    job = JobFactory(channel__user=user)

    # When the job moves and the beat retries what failed
    publish(job, django_capture_on_commit_callbacks, status=JobStatus.RUNNING, progress=40)
    run_retries()

    # Then it was delivered three times, with one webhook-id, each verified by the receiver
    assert [r.answered for r in receiver.received] == [500, 500, 200]
    assert len({r.webhook_id for r in receiver.received}) == 1
    assert all(r.verified for r in receiver.received)
    expected = {
        "type": "job:update",
        "jobId": str(job.id),
        "status": "RUNNING",
        "progress": 40,
        "waitingFor": None,
    }
    assert [r.event for r in receiver.received] == [expected] * 3
    delivery = WebhookDelivery.objects.get()
    assert delivery.message_id == receiver.received[0].webhook_id
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("DELIVERED", 3, 200)
    assert delivery.delivered_at is not None
    assert delivery.next_attempt_at is None
    assert endpoint_of(receiver).failing_since is None


def test_a_later_event_of_a_job_waits_for_the_earlier_one(
    user, receiver_for, django_capture_on_commit_callbacks
):
    # Given an endpoint that refuses the first attempt
    receiver = receiver_for(user, answers=[503])
    job = JobFactory(channel__user=user)

    # When the job progresses and then succeeds before the first event got through
    publish(job, django_capture_on_commit_callbacks, status=JobStatus.RUNNING, progress=50)
    publish(
        job,
        django_capture_on_commit_callbacks,
        status=JobStatus.SUCCEEDED,
        progress=100,
        result={"provider_id": "vid1", "url": "https://youtu.be/vid1"},
    )

    # Then the second event was not sent ahead of the first
    assert [r.event["type"] for r in receiver.received] == ["job:update"]

    # And once the first is through, both arrive in order
    run_retries()
    assert [(r.event["type"], r.answered) for r in receiver.received] == [
        ("job:update", 503),
        ("job:update", 200),
        ("job:done", 200),
    ]
    assert receiver.received[-1].event["result"] == {
        "providerId": "vid1",
        "url": "https://youtu.be/vid1",
    }
    assert all(r.verified for r in receiver.received)


def test_order_holds_per_job_while_other_jobs_go_ahead(
    user, receiver_for, django_capture_on_commit_callbacks
):
    # Given a receiver whose first answer fails, and two jobs
    receiver = receiver_for(user, answers=[500])
    stuck, other = JobFactory(channel__user=user), JobFactory(channel__user=user)

    # When the first job's event fails and the other job moves
    publish(stuck, django_capture_on_commit_callbacks, status=JobStatus.RUNNING, progress=10)
    publish(stuck, django_capture_on_commit_callbacks, progress=20)
    publish(other, django_capture_on_commit_callbacks, status=JobStatus.RUNNING, progress=30)

    # Then the other job's event was delivered without waiting
    assert [(r.event["jobId"], r.answered) for r in receiver.received] == [
        (str(stuck.id), 500),
        (str(other.id), 200),
    ]
    run_retries()
    progress_of_stuck = [
        r.event["progress"] for r in receiver.received if r.event["jobId"] == str(stuck.id)
    ]
    assert progress_of_stuck == [10, 10, 20]


def test_every_enabled_endpoint_of_the_owner_gets_the_event_and_nobody_else(
    user, receiver_for, django_capture_on_commit_callbacks
):
    first, second = receiver_for(user), receiver_for(user)
    stranger = receiver_for(JobFactory().user)
    job = JobFactory(channel__user=user)

    publish(
        job,
        django_capture_on_commit_callbacks,
        status=JobStatus.FAILED,
        error={"code": "quota", "message": "No."},
    )

    assert [r.event["type"] for r in first.received] == ["job:failed"]
    assert [r.event["type"] for r in second.received] == ["job:failed"]
    assert first.received[0].webhook_id != second.received[0].webhook_id
    assert stranger.received == []


def test_an_endpoint_failing_for_a_day_is_disabled_and_its_owner_emailed(
    user, receiver_for, django_capture_on_commit_callbacks
):
    # Given an endpoint that always answers 500 and has been failing since yesterday
    receiver = receiver_for(user, default=500)
    job = JobFactory(channel__user=user)
    publish(job, django_capture_on_commit_callbacks, status=JobStatus.RUNNING, progress=5)
    assert endpoint_of(receiver).enabled
    day_ago = timezone.now() - timedelta(hours=25)
    endpoint_of(receiver).__class__.objects.update(failing_since=day_ago)
    WebhookDelivery.objects.update(created_at=day_ago)

    # When the next attempt fails too
    with django_capture_on_commit_callbacks(execute=True):
        run_retries()

    # Then the endpoint is disabled, its owner told, and nothing more is sent
    endpoint = endpoint_of(receiver)
    assert endpoint.enabled is False
    assert endpoint.disabled_at is not None
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert receiver.url in mail.outbox[0].body
    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED
    attempts = len(receiver.received)
    publish(job, django_capture_on_commit_callbacks, progress=6)
    run_retries()
    assert len(receiver.received) == attempts == 2
    assert WebhookDelivery.objects.count() == 1


def test_an_endpoint_that_fails_then_recovers_within_the_day_stays_enabled(
    user, receiver_for, django_capture_on_commit_callbacks
):
    receiver = receiver_for(user, answers=[500])
    job = JobFactory(channel__user=user)
    publish(job, django_capture_on_commit_callbacks, status=JobStatus.RUNNING, progress=5)
    assert endpoint_of(receiver).failing_since is not None

    run_retries()

    endpoint = endpoint_of(receiver)
    assert endpoint.enabled
    assert endpoint.failing_since is None
    assert mail.outbox == []


def test_a_delivery_checks_the_address_again_and_connects_to_the_checked_one(
    user, receiver_for, settings, dns, django_capture_on_commit_callbacks
):
    # Given an https endpoint whose name resolved to a public address when it was added
    dns["hooks.example.com"] = "93.184.216.34"
    endpoint = endpoint_create(owner=user, url="https://hooks.example.com/in").endpoint
    job = JobFactory(channel__user=user)

    # When its name now points at the loopback interface (DNS rebinding)
    dns["hooks.example.com"] = "127.0.0.1"
    publish(job, django_capture_on_commit_callbacks, status=JobStatus.RUNNING, progress=5)

    # Then no request was made and the attempt is logged as refused, to be retried
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert delivery.last_status is None
    assert delivery.last_error.startswith("refused:")


def test_the_connection_goes_to_the_address_that_was_checked(
    user, receiver_for, settings, dns, django_capture_on_commit_callbacks
):
    # Given an allowed receiver reached through a name that resolves to it
    receiver = receiver_for(user)
    port = receiver.host.split(":")[1]
    dns["hooks.test"] = "127.0.0.1"
    settings.OUTBOUND_ALLOWED_HOSTS = [f"hooks.test:{port}"]
    receiver.endpoint.__class__.objects.filter(id=receiver.endpoint.id).update(
        url=f"http://hooks.test:{port}/hooks"
    )
    job = JobFactory(channel__user=user)

    publish(job, django_capture_on_commit_callbacks, status=JobStatus.RUNNING, progress=5)

    assert [r.answered for r in receiver.received] == [200]
    assert all(r.verified for r in receiver.received)


def test_a_user_without_endpoints_costs_the_publisher_one_query(
    user, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    job = JobFactory(channel__user=user, status=JobStatus.RUNNING, progress=3)
    with django_assert_max_num_queries(1):
        ids = deliveries_enqueue(user_id=job.user_id, event={"type": "job:update", "jobId": "x"})
    assert ids == []


def test_the_beat_sends_only_deliveries_whose_task_is_not_already_on_its_way(
    user, receiver_for, django_capture_on_commit_callbacks
):
    # Given a delivery just handed to the workers (its task not run yet)
    receiver_for(user)
    job = JobFactory(channel__user=user, status=JobStatus.RUNNING, progress=5)
    with django_capture_on_commit_callbacks(execute=False):
        deliveries_enqueue(user_id=user.id, event=build_job_event(job))
    delivery = WebhookDelivery.objects.get()

    # When the beat runs, then it leaves it alone
    assert deliveries_take_for_dispatch() == []

    # And when its message was lost long enough ago, the beat sends it once
    WebhookDelivery.objects.update(dispatched_at=timezone.now() - timedelta(minutes=6))
    assert deliveries_take_for_dispatch() == [delivery.id]
    assert deliveries_take_for_dispatch() == []
