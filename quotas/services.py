"""Charging a platform project's daily quota before each call, and reading what is spent.

The ledger is keyed by a plain string (``channels_app.quota.channel_quota_key``) and the
caller passes the budget in, so this app knows nothing of channels, plans or platforms.

Why a conditional ``UPDATE``: PostgreSQL re-checks the ``WHERE`` of a row it had to wait for,
so of two workers charging the last unit at once exactly one matches; the spend can never pass
the budget, whatever the number of workers. A call is charged when it is attempted, also when
the platform then fails it (the ledger errs on the side of not overspending).

Quota days are Pacific days: YouTube resets every project's quota at midnight in
``America/Los_Angeles`` (the reset moves with daylight saving time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import F
from django.utils import timezone

from quotas.models import QuotaLedger

QUOTA_TIMEZONE = ZoneInfo("America/Los_Angeles")


@dataclass(frozen=True)
class QuotaBudget:
    """A project's daily budget: uploads in their own bucket, and units for every other call."""

    uploads: int
    units: int


class QuotaSpent(Exception):
    """The charge would pass the day's budget; nothing was charged. Retry after ``until``."""

    def __init__(self, project_key: str, until: datetime) -> None:
        super().__init__(f"the quota of {project_key} is spent until {until.isoformat()}")
        self.project_key = project_key
        self.until = until


def quota_day(now: datetime | None = None) -> date:
    """The quota day ``now`` (default: the current time) falls in."""
    return (now or timezone.now()).astimezone(QUOTA_TIMEZONE).date()


def quota_day_start(now: datetime | None = None) -> datetime:
    """The last reset: midnight Pacific time that began the current quota day."""
    return datetime.combine(quota_day(now), time(0), tzinfo=QUOTA_TIMEZONE)


def quota_next_reset(now: datetime | None = None) -> datetime:
    """The next reset: the coming midnight Pacific time."""
    tomorrow = quota_day(now) + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=QUOTA_TIMEZONE)


def quota_charge(
    *, project_key: str, uploads: int = 0, units: int = 0, budget: QuotaBudget
) -> None:
    """Charge ``uploads`` and ``units`` to today's ledger of ``project_key``, or raise
    :class:`QuotaSpent` (charging nothing) when that would pass ``budget``."""
    now = timezone.now()
    day = quota_day(now)
    QuotaLedger.objects.bulk_create(
        [QuotaLedger(project_key=project_key, day=day)], ignore_conflicts=True
    )
    charged = QuotaLedger.objects.filter(
        project_key=project_key,
        day=day,
        uploads_spent__lte=budget.uploads - uploads,
        units_spent__lte=budget.units - units,
    ).update(
        uploads_spent=F("uploads_spent") + uploads,
        units_spent=F("units_spent") + units,
        uploads_budget=budget.uploads,
        units_budget=budget.units,
        updated_at=now,
    )
    if not charged:
        raise QuotaSpent(project_key, quota_next_reset(now))
