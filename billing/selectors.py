from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from djstripe.models import Subscription

from billing.models import Plan
from billing.plans import DEFAULT_PLANS, FREE, GRANTING_STATUSES, OWN_GOOGLE_PROJECT_PLANS
from channels_app.models import Channel

if TYPE_CHECKING:
    from accounts.models import User


def plan_default() -> Plan:
    """The plan new users get: free, created from the catalogue if ``seed_plans`` never ran."""
    plan, _ = Plan.objects.get_or_create(code=FREE, defaults=DEFAULT_PLANS[FREE])
    return plan


def plan_of(user: User) -> Plan:
    """The plan whose limits apply to ``user``: a user without one is on free."""
    return user.plan or plan_default()


def plan_allows_own_google_projects(user: User) -> bool:
    """Whether the user's plan lets them connect channels through their own Google project."""
    return plan_of(user).code in OWN_GOOGLE_PROJECT_PLANS


def channel_ids_usable(user: User) -> list[UUID]:
    """The channels the user may upload to: the oldest ``channel_limit`` of them (one query).

    A downgrade keeps every channel; above the new plan's limit only the channels connected
    first stay usable, so what worked longest keeps working and the user chooses what to
    disconnect.
    """
    limit = plan_of(user).channel_limit
    oldest = Channel.objects.filter(user=user).order_by("connected_at", "id")
    return list(oldest.values_list("id", flat=True)[:limit])


@dataclass(frozen=True)
class SubscriptionSummary:
    status: str
    current_period_end: datetime | None
    cancel_at_period_end: bool


def _period_end(stripe_data: dict) -> datetime | None:
    # Stripe API versions since 2025-03 keep the period on each item, older ones on the top.
    ends = [stripe_data.get("current_period_end")] + [
        item.get("current_period_end") for item in (stripe_data.get("items") or {}).get("data", [])
    ]
    known = [end for end in ends if end]
    return datetime.fromtimestamp(max(known), tz=UTC) if known else None


def subscription_of(user: User) -> SubscriptionSummary | None:
    """The user's subscription as last fetched from Stripe: the newest one that grants a plan,
    else the newest one; ``None`` when the user never subscribed (one query)."""
    subscriptions = list(
        Subscription.objects.filter(customer__subscriber=user).order_by("-created")
    )
    if not subscriptions:
        return None
    granting = [s for s in subscriptions if s.stripe_data.get("status") in GRANTING_STATUSES]
    data = (granting or subscriptions)[0].stripe_data
    return SubscriptionSummary(
        status=data.get("status", ""),
        current_period_end=_period_end(data),
        cancel_at_period_end=bool(data.get("cancel_at_period_end")),
    )
