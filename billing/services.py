from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from billing.models import Plan, PlanUsage
from billing.plans import DEFAULT_PLANS
from billing.selectors import channel_ids_usable, plan_of
from core.errors import Forbidden

if TYPE_CHECKING:
    from accounts.models import User


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
        changed = {name: value for name, value in spec.items() if getattr(plan, name) != value}
        if not changed:
            result.unchanged.append(code)
            continue
        for name, value in changed.items():
            setattr(plan, name, value)
        plan.save(update_fields=list(changed))
        result.updated.append(code)
    return result


def month_start(moment: datetime | None = None) -> date:
    """The first day (UTC) of the month holding ``moment`` (default: now): a quota period."""
    moment = moment or timezone.now()
    return moment.astimezone(UTC).date().replace(day=1)


def user_upload_quota(user: User) -> int | None:
    """Uploads a month the user's plan allows; ``None`` is unlimited."""
    return plan_of(user).upload_quota


def user_storage_limit(user: User) -> int | None:
    """Bytes of storage the user's plan allows; ``None`` is unlimited."""
    return plan_of(user).storage_limit_bytes


def upload_slot_reserve(*, user: User) -> date:
    """Take one of this month's upload slots for ``user``; return the period it counts in.

    Precondition: runs inside the caller's ``transaction.atomic()``; the row lock taken on the
    user's ``PlanUsage`` row is held until that transaction ends, so concurrent requests are
    counted one at a time and the quota cannot be beaten. Unlimited plans skip the lock and
    only count (one ``UPDATE``), so they are not slowed.
    Raises ``Forbidden(code="plan_limit_reached")`` when the quota is used up.
    """
    period = month_start()
    quota = user_upload_quota(user)
    PlanUsage.objects.bulk_create(
        [PlanUsage(user=user, period_start=period)], ignore_conflicts=True
    )
    usage = PlanUsage.objects.filter(user=user, period_start=period)
    if quota is not None:
        current = usage.select_for_update().values_list("uploads", flat=True).get()
        if current >= quota:
            raise Forbidden(
                f"Your plan allows {quota} uploads a month; upgrade to upload more.",
                code="plan_limit_reached",
            )
    usage.update(uploads=F("uploads") + 1)
    return period


def upload_slot_release(*, user_id: UUID, period: date) -> None:
    """Give back a slot taken by :func:`upload_slot_reserve` (a job that FAILED or was CANCELED).

    The caller guarantees it releases a given job's slot once (it clears the job's period in
    the same conditional update); the ``> 0`` guard keeps the counter valid regardless.
    """
    PlanUsage.objects.filter(user_id=user_id, period_start=period, uploads__gt=0).update(
        uploads=F("uploads") - 1
    )


def channel_upload_check(*, user: User, channel_id: UUID | None) -> None:
    """Raise 403 ``plan_limit_reached`` when ``channel_id`` is beyond the plan's channel limit."""
    if channel_id in channel_ids_usable(user):
        return
    plan = plan_of(user)
    raise Forbidden(
        f"Your {plan.name} plan allows uploads to {plan.channel_limit} channels and you have "
        f"more connected: only the {plan.channel_limit} connected first take uploads. "
        "Disconnect a channel or upgrade to upload to this one.",
        code="plan_limit_reached",
    )
