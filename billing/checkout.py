"""Stripe Checkout and the customer portal for a Gateway user."""

from __future__ import annotations

from typing import TYPE_CHECKING

import stripe
from django.conf import settings
from django.db import transaction
from djstripe.models import Customer

from billing.stripe_api import price_ids_by_plan, stripe_api_key, stripe_unavailable_as_503
from core.errors import InvalidInput

if TYPE_CHECKING:
    from accounts.models import User


def customer_get_or_create(*, user: User, api_key: str) -> Customer:
    """The user's Stripe customer, created on first use and reused afterwards.

    The user's row is locked while looking, so two checkouts at once create one customer;
    dj-stripe also sends an idempotency key with the creation.
    """
    with transaction.atomic():
        type(user).objects.select_for_update().filter(pk=user.pk).values_list("pk").get()
        customer, _ = Customer.get_or_create(
            subscriber=user, livemode=settings.STRIPE_LIVE_MODE, api_key=api_key
        )
    return customer


def checkout_session_create(*, user: User, plan_code: str) -> str:
    """Start a Stripe Checkout (subscription mode) for ``plan_code``; return its URL.

    The plan changes only when Stripe reports the subscription (``/webhook/stripe``).
    """
    api_key = stripe_api_key()
    price_id = price_ids_by_plan().get(plan_code)
    if price_id is None:
        raise InvalidInput(
            f"The plan {plan_code!r} cannot be bought here.", code="invalid", attr="plan"
        )
    with stripe_unavailable_as_503():
        customer = customer_get_or_create(user=user, api_key=api_key)
        session = stripe.checkout.Session.create(
            api_key=api_key,
            mode="subscription",
            customer=customer.id,
            client_reference_id=str(user.pk),
            line_items=[{"price": price_id, "quantity": 1}],
            success_url=(
                f"{settings.FRONTEND_BASE_URL}/billing?checkout=success"
                "&session_id={CHECKOUT_SESSION_ID}"
            ),
            cancel_url=f"{settings.FRONTEND_BASE_URL}/billing?checkout=canceled",
        )
    return str(session.url)


def portal_session_create(*, user: User) -> str:
    """Open a Stripe customer portal session for the user; return its URL."""
    api_key = stripe_api_key()
    with stripe_unavailable_as_503():
        customer = customer_get_or_create(user=user, api_key=api_key)
        session = stripe.billing_portal.Session.create(
            api_key=api_key,
            customer=customer.id,
            return_url=f"{settings.FRONTEND_BASE_URL}/billing",
        )
    return str(session.url)
