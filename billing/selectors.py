from __future__ import annotations

from typing import TYPE_CHECKING

from billing.models import Plan
from billing.plans import DEFAULT_PLANS, FREE

if TYPE_CHECKING:
    from accounts.models import User


def plan_default() -> Plan:
    """The plan new users get: free, created from the catalogue if ``seed_plans`` never ran."""
    plan, _ = Plan.objects.get_or_create(code=FREE, defaults=DEFAULT_PLANS[FREE])
    return plan


def plan_of(user: User) -> Plan:
    """The plan whose limits apply to ``user``: a user without one is on free."""
    return user.plan or plan_default()
