"""Every list endpoint costs a fixed number of queries, whatever the number of rows, on the
full request path: bearer token, user and plan loading, the plan throttle, the view.

The user and plan are read on a client's first request and then kept for a few seconds
(``accounts.authentication``): the counts below are those of a client's next requests."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.services import session_start
from billing.services import plans_seed
from providers.platforms import Platform
from tests.factories import ChannelFactory, JobFactory, UserFactory

pytestmark = pytest.mark.django_db

# path -> the most queries it may take (the view's own; the user and plan are kept)
LIST_ENDPOINTS = {
    "/api/v1/channels": 1,
    "/api/v1/jobs": 1,  # the page carries the count
    "/api/v1/jobs?status=SUCCEEDED": 1,
    "/api/v1/platforms": 0,
}


def _client_with_rows(rows: int) -> APIClient:
    plans_seed()
    user = UserFactory()
    platforms = list(Platform)
    for index in range(rows):
        channel = ChannelFactory(user=user, platform=platforms[index % len(platforms)])
        JobFactory(channel=channel, status="SUCCEEDED")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {session_start(user=user).access}")
    return client


def _queries(client: APIClient, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(captured)


@pytest.mark.parametrize("path", LIST_ENDPOINTS)
def test_a_list_costs_the_same_queries_for_one_row_and_for_many(
    path, django_assert_max_num_queries
):
    one = _client_with_rows(1)
    many = _client_with_rows(10)
    _queries(one, path)  # anything cached per process is warm for both
    _queries(many, path)

    with django_assert_max_num_queries(LIST_ENDPOINTS[path]):
        one_count = _queries(one, path)
    with django_assert_max_num_queries(LIST_ENDPOINTS[path]):
        many_count = _queries(many, path)

    assert one_count == many_count
