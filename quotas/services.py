"""Charging a platform project's daily quota before each call, and reading what is spent.

The ledger is keyed by a plain string (``channels_app.quota.channel_quota_key``) and the
caller passes the budget in, so this app knows nothing of channels, plans or platforms.

Why a conditional ``UPDATE``: PostgreSQL re-checks the ``WHERE`` of a row it had to wait for,
so of two workers charging the last unit at once exactly one matches; the spend can never pass
the budget, whatever the number of workers. A call is charged when it is attempted, also when
the platform then fails it (the ledger errs on the side of not overspending).

A project shared by many (YouTube: the server's own project) can also cap what one member may
spend of its uploads a day: a :class:`QuotaShare`, kept in its own ledger row (``share_of``
names the project) and charged in the same transaction as the project. Rows are always locked
share first, project second, so two charges never wait for each other in a cycle; a refusal of
either rolls back both, so a refused charge charges nothing.

Quota days are Pacific days: YouTube resets every project's quota at midnight in
``America/Los_Angeles`` (the reset moves with daylight saving time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from quotas.models import QuotaLedger

QUOTA_TIMEZONE = ZoneInfo("America/Los_Angeles")


@dataclass(frozen=True)
class QuotaBudget:
    """A project's daily budget: uploads in their own bucket, and units for every other call."""

    uploads: int
    units: int


@dataclass(frozen=True)
class QuotaShare:
    """The most one member of a shared project may spend of its daily uploads, in the ledger
    row ``key``. Units have no share."""

    key: str
    uploads: int


class QuotaSpent(Exception):
    """The charge would pass the day's budget; nothing was charged. Retry after ``until``.

    ``key`` is the ledger that refused: the project's, or the member's share of it.
    """

    def __init__(self, key: str, until: datetime, *, share: bool = False) -> None:
        super().__init__(f"the quota of {key} is spent until {until.isoformat()}")
        self.key = key
        self.until = until
        self.share = share


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
    *,
    project_key: str,
    uploads: int = 0,
    units: int = 0,
    budget: QuotaBudget,
    share: QuotaShare | None = None,
) -> None:
    """Charge ``uploads`` and ``units`` to today's ledger of ``project_key``, and ``uploads``
    to the ``share`` of it when one is given, or raise :class:`QuotaSpent` (charging nothing)
    when that would pass ``budget`` or the share."""
    now = timezone.now()
    day = quota_day(now)
    until = quota_next_reset(now)
    with transaction.atomic():
        if share is not None and uploads:
            share_budget = QuotaBudget(uploads=share.uploads, units=0)
            charged = _charge_row(
                key=share.key,
                day=day,
                now=now,
                uploads=uploads,
                units=0,
                budget=share_budget,
                share_of=project_key,
            )
            if not charged:
                raise QuotaSpent(share.key, until, share=True)
        charged = _charge_row(
            key=project_key, day=day, now=now, uploads=uploads, units=units, budget=budget
        )
        if not charged:
            raise QuotaSpent(project_key, until)


def _charge_row(
    *,
    key: str,
    day: date,
    now: datetime,
    uploads: int,
    units: int,
    budget: QuotaBudget,
    share_of: str = "",
) -> bool:
    """Add the charge to the row ``key`` of ``day`` if it stays within ``budget``; whether
    it did. One conditional ``UPDATE``: see the module's docstring."""
    QuotaLedger.objects.bulk_create(
        [QuotaLedger(project_key=key, share_of=share_of, day=day)], ignore_conflicts=True
    )
    return bool(
        QuotaLedger.objects.filter(
            project_key=key,
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
    )
