"""GET /api/v1/billing/plans (public) and /api/v1/billing/plan (the user's plan and usage)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone
from djstripe.models import Customer

from billing.models import PlanUsage
from billing.services import month_start
from billing.subscriptions import subscription_sync
from tests.factories import ChannelFactory, JobFactory
from tests.fakes.stripe_api import PRICE_PRO, SECRET_KEY


def test_plans_are_public_with_their_limits(api_client, plans):
    response = api_client.get("/api/v1/billing/plans")

    assert response.status_code == 200
    assert response.json() == [
        {
            "code": "free",
            "name": "Free",
            "channelLimit": 2,
            "uploadQuota": 2,
            "storageLimitBytes": 1024**3,
            "requestsPerMinute": 60,
        },
        {
            "code": "pro",
            "name": "Pro",
            "channelLimit": 5,
            "uploadQuota": 50,
            "storageLimitBytes": 50 * 1024**3,
            "requestsPerMinute": 300,
        },
        {
            "code": "agency",
            "name": "Agency",
            "channelLimit": 10,
            "uploadQuota": None,
            "storageLimitBytes": 500 * 1024**3,
            "requestsPerMinute": 1200,
        },
    ]


def test_the_plan_shows_usage_from_the_month_row_not_from_counting_jobs(auth_client, user):
    # given two channels, a usage row for this month and jobs that do not match it
    ChannelFactory(user=user)
    channel = ChannelFactory(user=user)
    PlanUsage.objects.create(user=user, period_start=month_start(), uploads=1)
    JobFactory.create_batch(3, channel=channel)

    response = auth_client.get("/api/v1/billing/plan")

    assert response.status_code == 200
    body = response.json()
    assert body["plan"]["code"] == "free"
    assert body["usage"] == {
        "channels": 2,
        "uploads": 1,
        "storageBytes": 0,
        "periodStart": timezone.now().astimezone(UTC).date().replace(day=1).isoformat(),
    }
    assert body["subscription"] is None


def test_the_plan_shows_the_subscription_as_last_fetched(fake_stripe, auth_client, user):
    # given a pro subscription reported by Stripe
    customer, _ = Customer.get_or_create(subscriber=user, livemode=False)
    sub = fake_stripe.subscription(customer=customer.id, price=PRICE_PRO)
    subscription_sync(subscription_id=sub["id"], api_key=SECRET_KEY)
    user.refresh_from_db()  # the test client reuses this object as the authenticated user

    body = auth_client.get("/api/v1/billing/plan").json()

    assert body["plan"]["code"] == "pro"
    period_end = (
        datetime.fromtimestamp(sub["items"]["data"][0]["current_period_end"], tz=UTC)
        .isoformat()
        .replace("+00:00", "Z")
    )
    assert body["subscription"] == {
        "status": "active",
        "currentPeriodEnd": period_end,
        "cancelAtPeriodEnd": False,
    }


def test_the_plan_needs_a_token(api_client):
    assert api_client.get("/api/v1/billing/plan").status_code == 401
