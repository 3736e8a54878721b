"""POST /webhook/stripe: verified first, each event once, the plan from the subscription's
state as Stripe holds it now (fetched from the local fake Stripe)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from djstripe.models import Customer, Event, WebhookEventTrigger
from rest_framework.test import APIClient

from accounts.models import User
from billing.models import Plan
from billing.webhooks import webhook_trigger_replay
from tests.factories import UserFactory
from tests.fakes.stripe_api import PRICE_PRO, FakeStripe, event_body, signed

URL = "/webhook/stripe"


def post_event(payload: bytes, signature: str | None = None):
    return APIClient().post(
        URL,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature if signature is not None else signed(payload),
    )


def plan_code(user: User) -> str:
    return User.objects.select_related("plan").get(pk=user.pk).plan.code


@pytest.fixture
def customer(fake_stripe: FakeStripe, user) -> Customer:
    """The user's Stripe customer, made the way checkout makes it."""
    customer, _ = Customer.get_or_create(subscriber=user, livemode=False)
    return customer


def test_bad_signature_is_400_and_writes_nothing(fake_stripe, user, customer):
    # given a subscription event signed with another secret
    sub = fake_stripe.subscription(customer=customer.id, price=PRICE_PRO)
    payload = event_body("customer.subscription.updated", sub)

    # when it is posted, and again without a signature at all
    forged = post_event(payload, signed(payload, secret="whsec_not_the_right_one"))
    unsigned = post_event(payload, "")

    # then both are refused, nothing of the body is kept and the plan is unchanged
    assert forged.status_code == 400
    assert forged.json()["errors"][0]["code"] == "invalid_signature"
    assert unsigned.status_code == 400
    assert WebhookEventTrigger.objects.count() == 0
    assert Event.objects.count() == 0
    assert plan_code(user) == "free"
    assert fake_stripe.requests_to(f"/v1/subscriptions/{sub['id']}") == []


def test_a_stale_signature_is_refused(fake_stripe, user, customer):
    sub = fake_stripe.subscription(customer=customer.id, price=PRICE_PRO)
    payload = event_body("customer.subscription.updated", sub)

    response = post_event(payload, signed(payload, timestamp=1_000_000_000))

    assert response.status_code == 400
    assert WebhookEventTrigger.objects.count() == 0
    assert plan_code(user) == "free"


def test_checkout_completed_then_subscription_updated_moves_the_user_to_pro(
    fake_stripe, user, customer
):
    # given the user paid for pro in Stripe Checkout
    sub = fake_stripe.subscription(customer=customer.id, price=PRICE_PRO)
    session = fake_stripe.completed_checkout(customer=customer.id, subscription=sub["id"])

    # when Stripe reports the checkout, then the subscription
    completed = post_event(event_body("checkout.session.completed", session))
    assert plan_code(user) == "pro"
    updated = post_event(event_body("customer.subscription.updated", sub))

    # then the user is on pro, each event processed once
    assert completed.status_code == updated.status_code == 200
    assert plan_code(user) == "pro"
    assert WebhookEventTrigger.objects.filter(processed=True).count() == 2
    assert Event.objects.count() == 2


def test_a_replayed_event_changes_nothing(fake_stripe, user, customer):
    # given a processed subscription event that moved the user to pro
    sub = fake_stripe.subscription(customer=customer.id, price=PRICE_PRO)
    payload = event_body("customer.subscription.updated", sub)
    assert post_event(payload).status_code == 200
    fetches = len(fake_stripe.requests_to(f"/v1/subscriptions/{sub['id']}"))
    # and the user then moved back to free by another path (an operator, say)
    User.objects.filter(pk=user.pk).update(plan=Plan.objects.get(code="free"))

    # when Stripe delivers the very same event again
    replay = post_event(payload)

    # then it is acknowledged and nothing is processed again
    assert replay.status_code == 200
    assert plan_code(user) == "free"
    assert Event.objects.count() == 1
    assert len(fake_stripe.requests_to(f"/v1/subscriptions/{sub['id']}")) == fetches


def test_deleted_returns_the_user_to_free(fake_stripe, user, customer):
    sub = fake_stripe.subscription(customer=customer.id, price=PRICE_PRO)
    post_event(event_body("customer.subscription.created", sub))
    assert plan_code(user) == "pro"

    canceled = fake_stripe.subscription(
        customer=customer.id, price=PRICE_PRO, status="canceled", sub_id=sub["id"]
    )
    response = post_event(event_body("customer.subscription.deleted", canceled))

    assert response.status_code == 200
    assert plan_code(user) == "free"


@pytest.mark.parametrize("status", ["unpaid", "canceled", "incomplete_expired", "past_due"])
def test_a_subscription_that_stopped_paying_returns_the_user_to_free(
    fake_stripe, user, customer, status
):
    sub = fake_stripe.subscription(customer=customer.id, price=PRICE_PRO)
    post_event(event_body("customer.subscription.created", sub))

    stopped = fake_stripe.subscription(
        customer=customer.id, price=PRICE_PRO, status=status, sub_id=sub["id"]
    )
    post_event(event_body("customer.subscription.updated", stopped))

    assert plan_code(user) == "free"


def test_an_older_update_after_a_newer_delete_leaves_the_user_on_free(fake_stripe, user, customer):
    # given an active pro subscription that was then deleted (Stripe holds it canceled)
    active = fake_stripe.subscription(customer=customer.id, price=PRICE_PRO)
    older_update = event_body("customer.subscription.updated", active, created=1_767_300_000)
    canceled = fake_stripe.subscription(
        customer=customer.id, price=PRICE_PRO, status="canceled", sub_id=active["id"]
    )
    newer_delete = event_body("customer.subscription.deleted", canceled, created=1_767_400_000)

    # when the deletion arrives first and the older update after it
    assert post_event(newer_delete).status_code == 200
    assert post_event(older_update).status_code == 200

    # then the user is not moved back to pro by the stale event
    assert plan_code(user) == "free"


def test_a_processing_failure_is_recorded_and_replayable(fake_stripe, user, customer):
    # given an event whose subscription Stripe cannot find yet
    sub = fake_stripe.subscription(customer=customer.id, price=PRICE_PRO)
    payload = event_body("customer.subscription.updated", sub)
    missing = dict(fake_stripe.objects.pop(sub["id"]))

    # when it is delivered, it is acknowledged, recorded as failed, and changes nothing
    assert post_event(payload).status_code == 200
    trigger = WebhookEventTrigger.objects.get()
    assert (trigger.valid, trigger.processed) == (True, False)
    assert "No such object" in trigger.exception
    assert Event.objects.count() == 0
    assert plan_code(user) == "free"

    # when Stripe has it again and the operator replays the trigger
    fake_stripe.put(missing)
    assert webhook_trigger_replay(trigger=trigger) is True

    # then it is processed once, and a second replay does nothing
    trigger.refresh_from_db()
    assert trigger.processed is True
    assert plan_code(user) == "pro"
    assert webhook_trigger_replay(trigger=trigger) is False
    assert Event.objects.count() == 1


def test_without_a_webhook_secret_nothing_is_accepted(fake_stripe, user, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    payload = event_body("customer.subscription.updated", {"id": "sub_x", "object": "subscription"})

    response = post_event(payload)

    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "billing_not_configured"
    assert WebhookEventTrigger.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_copies_at_the_same_time_are_processed_once(fake_stripe, plans):
    # given a user with a Stripe customer and an event for their new pro subscription
    user = UserFactory()
    customer, _ = Customer.get_or_create(subscriber=user, livemode=False)
    sub = fake_stripe.subscription(customer=customer.id, price=PRICE_PRO)
    payload = event_body("customer.subscription.created", sub)
    statuses: list[int] = []
    start = threading.Barrier(2)

    def deliver() -> None:
        start.wait()
        try:
            statuses.append(post_event(payload).status_code)
        finally:
            connection.close()

    # when two copies arrive at once
    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then both are acknowledged, one event is stored and its handlers ran once (one
    # processing reads the subscription twice: dj-stripe's sync, then Gateway's plan check)
    assert statuses == [200, 200]
    assert Event.objects.filter(type="customer.subscription.created").count() == 1
    assert len(fake_stripe.requests_to(f"/v1/subscriptions/{sub['id']}")) == 2
    assert plan_code(user) == "pro"


def test_an_operator_replays_failed_events_from_the_admin(fake_stripe, user, customer, client):
    # given a webhook whose processing failed because Stripe did not have the subscription yet
    sub = fake_stripe.subscription(customer=customer.id, price=PRICE_PRO)
    missing = fake_stripe.objects.pop(sub["id"])
    post_event(event_body("customer.subscription.created", sub))
    trigger = WebhookEventTrigger.objects.get(processed=False)
    fake_stripe.put(missing)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    # when the operator runs the replay action on it
    response = client.post(
        "/admin/djstripe/webhookeventtrigger/",
        {"action": "replay", "_selected_action": [trigger.pk]},
        follow=True,
    )

    # then the event is processed and the user is on pro
    assert response.status_code == 200
    assert "Replayed 1 webhook event(s)." in response.content.decode()
    trigger.refresh_from_db()
    assert trigger.processed is True
    assert plan_code(user) == "pro"
