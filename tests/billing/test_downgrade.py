"""A downgrade keeps data: channels stay, only the oldest take uploads, storage stops growing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from djstripe.models import Customer
from rest_framework.test import APIClient

from billing.models import Plan
from channels_app.models import Channel
from tests.billing.test_webhook import post_event
from tests.factories import ChannelFactory, JobFactory, UserFactory
from tests.fakes.stripe_api import PRICE_PRO, event_body
from tests.uploads.test_api import dispatched, public_dns  # noqa: F401  (fixtures)
from uploads.models import Job, JobStatus, StoredAsset

GIB = 1024**3


@pytest.fixture
def downgraded(fake_stripe, plans):
    """A pro user with four channels whose subscription Stripe then reports deleted."""
    user = UserFactory(plan=Plan.objects.get(code="pro"))
    now = timezone.now()
    channels = [
        ChannelFactory(user=user, connected_at=now - timedelta(days=40 - i)) for i in range(4)
    ]
    customer, _ = Customer.get_or_create(subscriber=user, livemode=False)
    canceled = fake_stripe.subscription(customer=customer.id, price=PRICE_PRO, status="canceled")
    assert post_event(event_body("customer.subscription.deleted", canceled)).status_code == 200
    user.refresh_from_db()
    assert user.plan.code == "free"
    return user, channels


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def upload(client, channel):
    body = {
        "channelId": str(channel.pk),
        "assetUrl": "https://cdn.example.com/video.mp4",
        "title": "My video",
    }
    return client.post("/api/v1/upload", body, format="json")


@pytest.mark.usefixtures("public_dns", "dispatched")
def test_a_downgrade_keeps_every_channel_and_uploads_only_to_the_oldest(downgraded):
    user, (oldest, second, third, newest) = downgraded
    client = client_for(user)

    # channels are all kept, and no new one can be connected
    assert len(client.get("/api/v1/channels").json()) == 4
    connect = client.post(
        "/api/v1/channels/connect",
        {"platform": "spotify", "providerChannelId": "4rOoJ6Egrf8K2IrywzwOMk"},
        format="json",
    )
    assert connect.status_code == 403
    assert connect.json()["errors"][0]["code"] == "plan_limit_reached"

    # uploads to the two newest are refused, saying why, and take no slot
    for channel in (third, newest):
        refused = upload(client, channel)
        assert refused.status_code == 403
        error = refused.json()["errors"][0]
        assert error["code"] == "plan_limit_reached"
        assert "allows uploads to 2 channels" in error["detail"]
        assert "connected first" in error["detail"]

    # the two oldest still take uploads (the free plan's two of this month)
    assert [upload(client, channel).status_code for channel in (oldest, second)] == [202, 202]
    assert set(Job.objects.values_list("channel_id", flat=True)) == {oldest.pk, second.pk}
    assert Channel.objects.filter(user=user).count() == 4


def test_storage_over_the_new_limit_refuses_presigns_and_keeps_the_files(downgraded):
    user, _ = downgraded
    StoredAsset.objects.create(
        user=user,
        key=f"uploads/{user.pk}/big/video.mp4",
        filename="video.mp4",
        content_type="video/mp4",
        size_bytes=2 * GIB,
        uploaded_at=timezone.now(),
    )

    response = client_for(user).post(
        "/api/v1/upload/presign",
        {"filename": "more.mp4", "contentType": "video/mp4", "sizeBytes": 1000},
        format="json",
    )

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "storage_limit_reached"
    assert list(StoredAsset.objects.filter(user=user).values_list("size_bytes", flat=True)) == [
        2 * GIB
    ]


def test_a_failed_upload_to_a_channel_beyond_the_limit_is_not_retried(downgraded):
    user, (*_, newest) = downgraded
    failed = JobFactory(channel=newest, status=JobStatus.FAILED, quota_period=None)

    response = client_for(user).post(f"/api/v1/jobs/{failed.pk}/retry")

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "plan_limit_reached"
    failed.refresh_from_db()
    assert failed.status == JobStatus.FAILED
