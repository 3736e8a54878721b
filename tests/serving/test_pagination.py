"""The job list's page carries its count (one query): the envelope stays DRF's."""

from __future__ import annotations

import pytest

from tests.factories import ChannelFactory, JobFactory

pytestmark = pytest.mark.django_db


def test_pages_carry_the_count_and_the_links(user, api):
    channel = ChannelFactory(user=user)
    for _ in range(5):
        JobFactory(channel=channel, status="SUCCEEDED")

    first = api.get("/api/v1/jobs?pageSize=2").json()
    last = api.get("/api/v1/jobs?pageSize=2&page=3").json()

    assert (first["count"], len(first["results"]), first["previous"]) == (5, 2, None)
    assert "page=2" in first["next"]
    assert (last["count"], len(last["results"]), last["next"]) == (5, 1, None)
    assert "page=2" in last["previous"]


def test_an_empty_list_is_one_empty_page_and_a_page_past_the_end_is_404(api):
    empty = api.get("/api/v1/jobs")

    assert empty.status_code == 200
    assert empty.json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert api.get("/api/v1/jobs?page=2").status_code == 404
