"""dj-stripe event handlers that move the user's plan (connected in ``BillingConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from djstripe.event_handlers import djstripe_receiver
from djstripe.models import Event

from billing.subscriptions import subscription_sync


def _id_of(value: Any) -> str | None:
    """A Stripe reference is an id, or the object itself when it was expanded."""
    return value.get("id") if isinstance(value, dict) else value


@djstripe_receiver(
    [
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    ]
)
def plan_follows_subscription(sender: type[Event], event: Event, **kwargs: Any) -> None:
    """Re-read the event's subscription from Stripe and apply the plan it grants now."""
    obj = event.data.get("object") or {}
    if obj.get("object") == "checkout.session":
        subscription_id = _id_of(obj.get("subscription"))
    else:
        subscription_id = obj.get("id")
    if subscription_id:
        subscription_sync(subscription_id=subscription_id, api_key=settings.STRIPE_SECRET_KEY)
