"""Each creator's daily share of the shared project's uploads, by plan
(``YOUTUBE_DAILY_UPLOAD_SHARE``); a creator's own project has none."""

from __future__ import annotations

import pytest

from billing.models import Plan
from channels_app.quota import channel_quota_share
from gateway.env import parse_percentages
from quotas.services import QuotaShare
from tests.factories import ChannelFactory, GoogleProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("plan", "uploads"), [("free", 5), ("pro", 20), ("agency", 40)])
def test_the_default_shares_are_5_20_and_40_per_cent_of_the_days_uploads(
    plans, settings, plan, uploads
):
    settings.YOUTUBE_DAILY_UPLOADS = 100
    channel = ChannelFactory(user=UserFactory(plan=plans[plan]))

    assert channel_quota_share(channel) == QuotaShare(
        key=f"youtube:shared:user:{channel.user_id}", uploads=uploads
    )


def test_a_plan_the_setting_does_not_name_gets_the_free_share_and_every_share_one_upload(
    plans, settings
):
    settings.YOUTUBE_DAILY_UPLOADS = 10
    custom = Plan.objects.create(
        code="custom", name="Custom", channel_limit=1, requests_per_minute=1
    )
    on_custom, on_free = (
        ChannelFactory(user=UserFactory(plan=plan)) for plan in (custom, plans["free"])
    )

    assert channel_quota_share(on_custom).uploads == channel_quota_share(on_free).uploads == 1


def test_a_creators_own_project_has_no_share(agency_user):
    project = GoogleProjectFactory(owner=agency_user)

    assert channel_quota_share(ChannelFactory(user=agency_user, google_project=project)) is None


def test_shares_are_written_as_whole_per_cents_by_plan():
    assert parse_percentages("free=5, pro=20,agency=100") == {"free": 5, "pro": 20, "agency": 100}


@pytest.mark.parametrize("text", ["free", "free=0", "free=101", "free=0.05", "=5", "free=5%"])
def test_a_malformed_share_is_refused(text):
    with pytest.raises(ValueError, match="not a list of per cents"):
        parse_percentages(text)
