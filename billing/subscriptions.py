"""The user's plan follows their Stripe subscriptions.

Webhook events arrive late, twice, or out of order, so the plan is never taken from an event's
payload: the subscription is fetched from Stripe (its state now) and the plan is decided from
every subscription of the user as last fetched. An old ``updated`` event replayed after the
subscription was deleted therefore finds it canceled, and the user stays on free.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from djstripe.models import Subscription

from billing.models import Plan
from billing.plans import GRANTING_STATUSES
from billing.selectors import plan_default
from billing.stripe_api import plan_code_for_price

logger = logging.getLogger(__name__)


def _price_ids(stripe_data: dict[str, Any]) -> list[str]:
    items = (stripe_data.get("items") or {}).get("data") or []
    ids = []
    for item in items:
        price = item.get("price")
        ids.append(price.get("id") if isinstance(price, dict) else price)
    return [price_id for price_id in ids if price_id]


def subscription_sync(*, subscription_id: str, api_key: str) -> None:
    """Fetch ``subscription_id`` from Stripe, store it, and apply its user's plan.

    A subscription whose customer is not linked to a user (created outside Gateway's
    checkout) is stored but moves no plan.
    """
    fetched = Subscription(id=subscription_id).api_retrieve(api_key=api_key)
    subscription = Subscription.sync_from_stripe_data(fetched, api_key=api_key)
    customer = subscription.customer
    if customer is None or customer.subscriber_id is None:
        logger.warning("Stripe subscription %s has no Gateway user; plan unchanged.", fetched.id)
        return
    user_plan_apply(user_id=customer.subscriber_id)


@transaction.atomic
def user_plan_apply(*, user_id: Any) -> Plan:
    """Set the user's plan to the best one a granting subscription of theirs pays for.

    Runs under a lock on the user's row so two events for the same user decide one at a time.
    No granting subscription (all canceled, unpaid, ...) means free. Data is never removed:
    a downgrade only narrows what the user may do next (see ``billing.selectors``).
    """
    user_model = get_user_model()
    user = user_model.objects.select_for_update().get(pk=user_id)
    codes = {
        code
        for subscription in Subscription.objects.filter(customer__subscriber=user)
        if subscription.stripe_data.get("status") in GRANTING_STATUSES
        for price_id in _price_ids(subscription.stripe_data)
        if (code := plan_code_for_price(price_id)) is not None
    }
    paid = Plan.objects.filter(code__in=codes).order_by("-sort_order").first()
    plan = paid or plan_default()
    if user.plan_id != plan.pk:
        user_model.objects.filter(pk=user.pk).update(plan=plan)
        logger.info("User %s moved to plan %s by Stripe.", user.pk, plan.code)
    return plan
