"""The operators' admin: endpoints without their secret, deliveries with a redeliver action."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import User
from tests.factories import JobFactory
from uploads.events import publish_job_event
from uploads.models import JobStatus
from webhooks.models import WebhookDelivery, WebhookEndpoint


@pytest.fixture
def admin_client_(client, db):
    admin = User.objects.create_superuser("ops@example.com", "pw-for-tests-123")
    client.force_login(admin)
    return client


@pytest.mark.usefixtures("celery_eager")
def test_redeliver_sends_a_delivery_again_with_the_same_webhook_id(
    admin_client_, user, receiver_for, django_capture_on_commit_callbacks
):
    # Given a delivered event
    receiver = receiver_for(user)
    job = JobFactory(channel__user=user, status=JobStatus.RUNNING, progress=7)
    with django_capture_on_commit_callbacks(execute=True):
        publish_job_event(job)
    delivery = WebhookDelivery.objects.get()

    # When an operator redelivers it
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(
            "/admin/webhooks/webhookdelivery/",
            {"action": "redeliver", "_selected_action": [str(delivery.pk)]},
        )

    # Then the receiver got it twice under one webhook-id
    assert response.status_code == 302
    assert [r.webhook_id for r in receiver.received] == [delivery.message_id] * 2
    assert all(r.verified for r in receiver.received)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("DELIVERED", 2)


def test_admin_pages_never_show_the_secret(admin_client_, user, receiver_for):
    receiver = receiver_for(user)
    endpoint = receiver.endpoint

    pages = [
        admin_client_.get("/admin/webhooks/webhookendpoint/"),
        admin_client_.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/"),
        admin_client_.get("/admin/webhooks/webhookdelivery/"),
    ]

    assert [p.status_code for p in pages] == [200, 200, 200]
    for page in pages:
        assert receiver.secret.encode() not in page.content
        assert endpoint.secret_encrypted.encode() not in page.content


@pytest.mark.usefixtures("celery_eager")
def test_an_operator_enables_a_disabled_endpoint_again_and_it_gets_new_events(
    admin_client_, user, receiver_for, django_capture_on_commit_callbacks
):
    # Given an endpoint disabled after a day of failures
    receiver = receiver_for(user)
    endpoint = receiver.endpoint
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        enabled=False, disabled_at=timezone.now(), failing_since=timezone.now()
    )

    # When an operator enables it again
    response = admin_client_.post(
        "/admin/webhooks/webhookendpoint/",
        {"action": "enable", "_selected_action": [str(endpoint.pk)]},
    )

    # Then it is in service, and the next event reaches the receiver
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.enabled, endpoint.disabled_at, endpoint.failing_since) == (True, None, None)
    with django_capture_on_commit_callbacks(execute=True):
        publish_job_event(JobFactory(channel__user=user, status=JobStatus.RUNNING))
    assert [r.verified for r in receiver.received] == [True]
