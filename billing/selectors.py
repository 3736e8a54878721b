from __future__ import annotations

from billing.models import Plan
from billing.plans import DEFAULT_PLANS, FREE


def plan_default() -> Plan:
    """The plan new users get: free, created from the catalogue if ``seed_plans`` never ran."""
    plan, _ = Plan.objects.get_or_create(code=FREE, defaults=DEFAULT_PLANS[FREE])
    return plan
