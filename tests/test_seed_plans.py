from io import StringIO

import pytest
from django.core.management import call_command

from billing.models import Plan

pytestmark = pytest.mark.django_db


def _plans() -> dict[str, tuple]:
    return {
        plan.code: (plan.channel_limit, plan.upload_quota, plan.requests_per_minute)
        for plan in Plan.objects.all()
    }


def test_seed_plans_creates_the_three_plans_of_api_md():
    Plan.objects.all().delete()

    call_command("seed_plans", stdout=StringIO())

    assert _plans() == {"free": (2, 2, 60), "pro": (5, 50, 300), "agency": (10, None, 1200)}


def test_seed_plans_twice_changes_nothing(capsys):
    call_command("seed_plans")
    before = list(Plan.objects.order_by("code").values())

    call_command("seed_plans")

    assert list(Plan.objects.order_by("code").values()) == before
    assert "unchanged: free, pro, agency" in capsys.readouterr().out


def test_seed_plans_restores_an_edited_limit():
    call_command("seed_plans", stdout=StringIO())
    Plan.objects.filter(code="pro").update(channel_limit=99)

    call_command("seed_plans", stdout=StringIO())

    assert Plan.objects.get(code="pro").channel_limit == 5
