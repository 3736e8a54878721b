"""The quota ledger page: today's spend against the budget, read-only for every operator."""

from __future__ import annotations

import pytest

from quotas.models import QuotaLedger
from quotas.services import QuotaBudget, quota_charge, quota_day

pytestmark = pytest.mark.django_db


def test_operators_and_viewers_read_todays_spend_against_the_budget_and_change_nothing(
    operator_client, viewer_client
):
    quota_charge(
        project_key="youtube:shared", uploads=1, units=7, budget=QuotaBudget(uploads=3, units=50)
    )
    ledger = QuotaLedger.objects.get()

    for client in (operator_client, viewer_client):
        page = client.get("/admin/quotas/quotaledger/")
        assert page.status_code == 200
        (row,) = page.context["cl"].result_list
        assert (row.project_key, row.day) == ("youtube:shared", quota_day())
        html = page.content.decode()
        assert "1 / 3" in html
        assert "7 / 50" in html
        assert "/admin/quotas/quotaledger/add/" not in html
        assert client.post(f"/admin/quotas/quotaledger/{ledger.pk}/delete/").status_code == 403
    ledger.refresh_from_db()
    assert (ledger.uploads_spent, ledger.units_spent) == (1, 7)
