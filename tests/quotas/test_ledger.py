"""The quota ledger: Pacific days, and charges that never pass the budget, nor a member's share
of it, under concurrency."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection, connections

from quotas.models import QuotaLedger
from quotas.services import (
    QuotaBudget,
    QuotaShare,
    QuotaSpent,
    quota_charge,
    quota_day,
    quota_next_reset,
)

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI)"
)
BUDGET = QuotaBudget(uploads=3, units=10)
ADA, BOB = (
    QuotaShare(key="youtube:shared:user:ada", uploads=2),
    QuotaShare(key="youtube:shared:user:bob", uploads=2),
)


def _spent() -> dict[str, tuple[int, int]]:
    """``(uploads, units)`` spent today, by ledger key."""
    rows = QuotaLedger.objects.values_list("project_key", "uploads_spent", "units_spent")
    return {key: (uploads, units) for key, uploads, units in rows}


def _charge_together(charges: list[dict]) -> int:
    """Make every charge (``quota_charge`` arguments for ``youtube:shared`` within ``BUDGET``)
    at the same moment, each from its own thread and connection; how many went through."""
    start = threading.Barrier(len(charges))

    def charge(arguments: dict) -> bool:
        try:
            start.wait(timeout=10)
            quota_charge(project_key="youtube:shared", budget=BUDGET, **arguments)
        except QuotaSpent:
            return False
        finally:
            connections.close_all()
        return True

    with ThreadPoolExecutor(max_workers=len(charges)) as pool:
        return sum(pool.map(charge, charges))


@pytest.mark.parametrize(
    ("now", "day", "reset"),
    [
        # 23:59 PST on January 14th: the reset is a minute away, at 08:00 UTC.
        (datetime(2025, 1, 15, 7, 59, tzinfo=UTC), date(2025, 1, 14), "2025-01-15T08:00:00+00:00"),
        (datetime(2025, 1, 15, 8, 0, tzinfo=UTC), date(2025, 1, 15), "2025-01-16T08:00:00+00:00"),
        # Summer time (PDT): midnight is 07:00 UTC.
        (datetime(2025, 7, 1, 12, 0, tzinfo=UTC), date(2025, 7, 1), "2025-07-02T07:00:00+00:00"),
        # The day the clocks go forward: a 23-hour day.
        (datetime(2025, 3, 9, 12, 0, tzinfo=UTC), date(2025, 3, 9), "2025-03-10T07:00:00+00:00"),
    ],
)
def test_quota_days_are_pacific_days_and_reset_at_pacific_midnight(now, day, reset):
    assert quota_day(now) == day
    assert quota_next_reset(now).astimezone(UTC).isoformat() == reset


@pytest.mark.django_db
def test_a_charge_past_the_budget_is_refused_whole_and_the_next_day_starts_empty():
    with time_machine.travel(datetime(2025, 1, 15, 20, 0, tzinfo=UTC)):
        quota_charge(project_key="youtube:shared", uploads=2, units=4, budget=BUDGET)
        with pytest.raises(QuotaSpent) as refused:
            quota_charge(project_key="youtube:shared", uploads=2, budget=BUDGET)
        quota_charge(project_key="youtube:shared", uploads=1, units=6, budget=BUDGET)
        with pytest.raises(QuotaSpent):
            quota_charge(project_key="youtube:shared", units=1, budget=BUDGET)
        quota_charge(project_key="byo:another-project", units=1, budget=BUDGET)

    assert refused.value.until == datetime(2025, 1, 16, 8, 0, tzinfo=UTC)
    ledger = QuotaLedger.objects.get(project_key="youtube:shared")
    assert (ledger.day, ledger.uploads_spent, ledger.units_spent) == (date(2025, 1, 15), 3, 10)
    assert (ledger.uploads_budget, ledger.units_budget) == (3, 10)

    with time_machine.travel(datetime(2025, 1, 16, 8, 0, tzinfo=UTC)):
        quota_charge(project_key="youtube:shared", uploads=3, budget=BUDGET)
    assert QuotaLedger.objects.filter(project_key="youtube:shared").count() == 2


@pytest.mark.django_db(transaction=True)
@postgresql_only
def test_parallel_workers_never_charge_past_the_budget():
    charged = _charge_together([{"uploads": index % 2, "units": 1} for index in range(24)])

    ledger = QuotaLedger.objects.get()
    assert charged == 10
    assert ledger.units_spent == 10
    assert ledger.uploads_spent <= 3


@pytest.mark.django_db
def test_a_share_caps_one_members_uploads_and_a_refused_charge_charges_neither_row():
    quota_charge(project_key="youtube:shared", uploads=2, units=1, budget=BUDGET, share=ADA)
    with pytest.raises(QuotaSpent) as past_share:
        quota_charge(project_key="youtube:shared", uploads=1, budget=BUDGET, share=ADA)
    quota_charge(project_key="youtube:shared", units=3, budget=BUDGET, share=ADA)  # units: no share
    quota_charge(project_key="youtube:shared", uploads=1, budget=BUDGET, share=BOB)
    with pytest.raises(QuotaSpent) as past_budget:
        quota_charge(project_key="youtube:shared", uploads=1, budget=BUDGET, share=BOB)

    assert (past_share.value.key, past_share.value.share) == (ADA.key, True)
    assert (past_budget.value.key, past_budget.value.share) == ("youtube:shared", False)
    assert past_share.value.until == past_budget.value.until == quota_next_reset()
    assert _spent() == {"youtube:shared": (3, 4), ADA.key: (2, 0), BOB.key: (1, 0)}
    shares = QuotaLedger.objects.exclude(share_of="")
    assert {(row.project_key, row.share_of, row.uploads_budget) for row in shares} == {
        (ADA.key, "youtube:shared", 2),
        (BOB.key, "youtube:shared", 2),
    }


@pytest.mark.django_db(transaction=True)
@postgresql_only
def test_parallel_uploads_of_many_members_never_pass_a_share_nor_the_budget():
    members = [QuotaShare(key=f"youtube:shared:user:{n}", uploads=2) for n in range(3)]

    charged = _charge_together([{"uploads": 1, "share": members[index % 3]} for index in range(24)])

    spent = _spent()
    shares = [spent.get(member.key, (0, 0))[0] for member in members]
    # Three shares of two are more than the budget of three: the budget stops the rest, and
    # each refusal by the project gave the member's share its upload back.
    assert charged == spent["youtube:shared"][0] == sum(shares) == 3
    assert max(shares) <= 2
