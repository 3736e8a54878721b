"""The quota ledger page: today's spend against the budget, read-only for every operator, with
creators' shares of the shared project told apart from the projects."""

from __future__ import annotations

import pytest

from quotas.models import QuotaLedger
from quotas.services import QuotaBudget, QuotaShare, quota_charge, quota_day

pytestmark = pytest.mark.django_db

URL = "/admin/quotas/quotaledger/"


def _charge(**share) -> None:
    quota_charge(
        project_key="youtube:shared",
        uploads=1,
        units=7,
        budget=QuotaBudget(uploads=3, units=50),
        share=QuotaShare(**share) if share else None,
    )


def test_operators_and_viewers_read_todays_spend_against_the_budget_and_change_nothing(
    operator_client, viewer_client
):
    _charge()
    ledger = QuotaLedger.objects.get()

    for client in (operator_client, viewer_client):
        page = client.get(URL)
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


def test_creators_shares_are_listed_apart_from_the_projects(viewer_client):
    _charge(key="youtube:shared:user:ada", uploads=2)

    shares = viewer_client.get(URL, {"kind": "share"})
    projects = viewer_client.get(URL, {"kind": "project"})

    (share,) = shares.context["cl"].result_list
    assert share.project_key == "youtube:shared:user:ada"
    html = shares.content.decode()
    assert "creator&#x27;s share of youtube:shared" in html
    assert "1 / 2" in html
    assert [row.project_key for row in projects.context["cl"].result_list] == ["youtube:shared"]
    assert "7 / 50" in projects.content.decode()
