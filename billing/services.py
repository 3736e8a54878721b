from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from billing.models import Plan
from billing.plans import DEFAULT_PLANS


@dataclass(frozen=True)
class SeedResult:
    created: list[str]
    updated: list[str]
    unchanged: list[str]


@transaction.atomic
def plans_seed() -> SeedResult:
    """Create or update the default plans; a second run changes nothing."""
    result = SeedResult(created=[], updated=[], unchanged=[])
    existing = {plan.code: plan for plan in Plan.objects.select_for_update()}
    for code, spec in DEFAULT_PLANS.items():
        plan = existing.get(code)
        if plan is None:
            Plan.objects.create(code=code, **spec)
            result.created.append(code)
            continue
        changed = [name for name, value in spec.items() if getattr(plan, name) != value]
        if not changed:
            result.unchanged.append(code)
            continue
        for name in changed:
            setattr(plan, name, spec[name])
        plan.save(update_fields=changed)
        result.updated.append(code)
    return result
