"""Checkout and portal against the local fake Stripe; 503 without Stripe configured."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from djstripe.models import Customer

from tests.fakes.stripe_api import PRICE_AGENCY, PRICE_PRO


def test_checkout_creates_the_customer_once_and_reuses_it(fake_stripe, auth_client, user):
    # when the user starts checkout twice, then opens the portal
    first = auth_client.post("/api/v1/billing/checkout", {"plan": "pro"}, format="json")
    second = auth_client.post("/api/v1/billing/checkout", {"plan": "agency"}, format="json")
    portal = auth_client.post("/api/v1/billing/portal")

    # then each answer is a Stripe URL and one Stripe customer serves all three
    assert first.status_code == second.status_code == portal.status_code == 200
    assert first.json()["url"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    assert second.json()["url"] != first.json()["url"]
    assert portal.json()["url"].startswith("https://billing.stripe.com/p/session/")
    assert len(fake_stripe.created("/v1/customers")) == 1
    customer = Customer.objects.get(subscriber=user)
    sessions = [
        dict(parse_qsl(r.body.decode())) for r in fake_stripe.created("/v1/checkout/sessions")
    ]
    assert [s["customer"] for s in sessions] == [customer.id, customer.id]
    assert [s["line_items[0][price]"] for s in sessions] == [PRICE_PRO, PRICE_AGENCY]
    assert {s["mode"] for s in sessions} == {"subscription"}
    assert sessions[0]["success_url"].startswith("http://localhost:3000/billing?checkout=success")
    assert sessions[0]["cancel_url"] == "http://localhost:3000/billing?checkout=canceled"
    assert sessions[0]["client_reference_id"] == str(user.pk)
    portal_request = dict(
        parse_qsl(fake_stripe.created("/v1/billing_portal/sessions")[0].body.decode())
    )
    assert portal_request == {
        "customer": customer.id,
        "return_url": "http://localhost:3000/billing",
    }
    # and the customer Stripe holds names the user
    created = dict(parse_qsl(fake_stripe.created("/v1/customers")[0].body.decode()))
    assert created["email"] == user.email
    assert created["metadata[djstripe_subscriber]"] == str(user.pk)


@pytest.mark.parametrize("plan", ["free", "enterprise"])
def test_a_plan_that_is_not_for_sale_is_400(fake_stripe, auth_client, plan):
    response = auth_client.post("/api/v1/billing/checkout", {"plan": plan}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "plan"
    assert fake_stripe.requests == []


@pytest.mark.parametrize("path", ["/api/v1/billing/checkout", "/api/v1/billing/portal"])
def test_without_a_stripe_key_billing_is_503(auth_client, settings, path):
    settings.STRIPE_SECRET_KEY = ""

    response = auth_client.post(path, {"plan": "pro"}, format="json")

    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "billing_not_configured"
    assert Customer.objects.count() == 0


def test_stripe_unreachable_is_503_not_500(fake_stripe, auth_client):
    fake_stripe.stop()

    response = auth_client.post("/api/v1/billing/checkout", {"plan": "pro"}, format="json")

    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "billing_unavailable"


@pytest.mark.parametrize("path", ["/api/v1/billing/checkout", "/api/v1/billing/portal"])
def test_billing_needs_a_token(api_client, path):
    assert api_client.post(path).status_code == 401
