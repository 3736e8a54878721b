"""The quota ledger: Pacific days, and charges that never pass the budget under concurrency."""

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
    QuotaSpent,
    quota_charge,
    quota_day,
    quota_next_reset,
)

BUDGET = QuotaBudget(uploads=3, units=10)


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
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI)")
def test_parallel_workers_never_charge_past_the_budget():
    workers = 24
    start = threading.Barrier(workers)

    def charge(index: int) -> bool:
        try:
            start.wait(timeout=10)
            quota_charge(project_key="youtube:shared", uploads=index % 2, units=1, budget=BUDGET)
        except QuotaSpent:
            return False
        finally:
            connections.close_all()
        return True

    with ThreadPoolExecutor(max_workers=workers) as pool:
        charged = sum(pool.map(charge, range(workers)))

    ledger = QuotaLedger.objects.get()
    assert charged == 10
    assert ledger.units_spent == 10
    assert ledger.uploads_spent <= 3
