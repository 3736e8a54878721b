"""The stats page in the admin and GET /api/v1/admin/stats."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.services import session_start
from tests.admin.history import seed_history
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _month_count(history, status: str) -> int:
    month = history.now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return sum(1 for job in history.jobs if job.status == status and job.created_at >= month)


def test_the_stats_page_shows_the_figures_of_the_history(operator_client):
    history = seed_history()

    page = operator_client.get("/admin/stats/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="stat-users">7<' in html  # 6 creators and the operator
    summary = page.context["summary"]
    assert [(row.plan, row.users) for row in summary.users_by_plan] == [
        ("Free", 3 + 1),  # the operator is on free too
        ("Pro", 2),
        ("Agency", 1),
    ]
    assert summary.users == 7
    assert summary.channels == 4
    spotify, youtube = summary.channels_by_platform  # in the order of platform ids
    assert (youtube.platform, youtube.by_status["ACTIVE"], youtube.by_status["NEEDS_REAUTH"]) == (
        "YouTube",
        2,
        1,
    )
    assert (spotify.platform, spotify.by_status["PENDING"], spotify.total) == ("Spotify", 1, 1)
    by_status = {
        row.status: (row.today, row.this_month, row.total) for row in summary.jobs_by_status
    }
    assert by_status == {
        "QUEUED": (1, 1, 1),
        "RUNNING": (0, 0, 0),
        "SUCCEEDED": (1, _month_count(history, "SUCCEEDED"), 3),
        "FAILED": (1, _month_count(history, "FAILED"), 2),
        "CANCELED": (0, _month_count(history, "CANCELED"), 1),
    }
    assert summary.queue == ("connected" if settings.REDIS_URL else "not_configured")
    assert f'id="stat-queue">{summary.queue_depth}<' in html


def test_the_failed_jobs_of_the_last_day_are_listed_with_their_reason_and_a_link(
    operator_client,
):
    history = seed_history()

    html = operator_client.get("/admin/stats/").content.decode()

    failures = html.split('id="failed-jobs"')[1].split("</table>")[0]
    assert f'href="/admin/uploads/job/{history.failed_today.pk}/change/"' in failures
    assert "upload_rejected" in failures
    assert "YouTube refused the video." in failures
    assert "quota_exceeded" not in failures  # ten days old


def test_the_chart_draws_thirty_days_of_jobs_by_outcome(operator_client):
    history = seed_history()

    page = operator_client.get("/admin/stats/")

    chart = page.context["chart"]
    assert len(chart.bars) == 30
    assert chart.total == 7
    html = page.content.decode()
    svg = html.split('<svg id="jobs-chart"')[1].split("</svg>")[0]
    titles = re.findall(r"<title>([^<]+)</title>", svg)
    ten_days_ago = f"{history.jobs[0].created_at:%Y-%m-%d}"
    today = f"{history.failed_today.created_at:%Y-%m-%d}"
    assert f"{ten_days_ago}: 2 succeeded" in titles
    assert f"{ten_days_ago}: 1 failed" in titles
    assert f"{today}: 1 queued or running" in titles
    assert svg.count('class="bar"') == 6  # one segment per day and outcome present


def test_the_stats_page_costs_the_same_queries_for_any_history(operator_client):
    operator_client.get("/admin/stats/")  # warm the session and content types
    with CaptureQueriesContext(connection) as empty:
        assert operator_client.get("/admin/stats/").status_code == 200
    seed_history()
    seed_history()

    with CaptureQueriesContext(connection) as seeded:
        assert operator_client.get("/admin/stats/").status_code == 200

    assert len(seeded) == len(empty)
    assert len(seeded) <= 8


def test_the_admin_index_links_to_the_stats_page(viewer_client):
    index = viewer_client.get("/admin/")

    assert index.status_code == 200
    assert 'href="/admin/stats/"' in index.content.decode()
    assert viewer_client.get("/admin/stats/").status_code == 200  # viewers read it too


def test_the_stats_page_is_for_staff_only(client, plans):
    client.force_login(UserFactory())

    response = client.get("/admin/stats/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def _bearer(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {session_start(user=user).access}")
    return client


def test_the_stats_api_answers_staff_with_the_figures(operator):
    seed_history()

    response = _bearer(operator).get("/api/v1/admin/stats")

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "users": 7,
        "channels": 4,
        "jobs": {"QUEUED": 1, "RUNNING": 0, "SUCCEEDED": 3, "FAILED": 2, "CANCELED": 1},
        "queueDepth": body["queueDepth"],
    }
    assert isinstance(body["queueDepth"], int)
    assert response["Cache-Control"] == "no-store"


def test_the_stats_api_is_403_for_a_creator_and_401_without_a_token(plans):
    creator = UserFactory()

    forbidden = _bearer(creator).get("/api/v1/admin/stats")
    anonymous = APIClient().get("/api/v1/admin/stats")

    assert forbidden.status_code == 403
    assert forbidden.json()["errors"][0]["code"] == "permission_denied"
    assert anonymous.status_code == 401
    assert anonymous.json()["errors"][0]["code"] == "not_authenticated"


def test_the_stats_api_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema", HTTP_ACCEPT="application/json").json()

    operation = schema["paths"]["/api/v1/admin/stats"]["get"]
    assert {"200", "401", "403"} <= set(operation["responses"])
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    stats = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(stats["properties"]) == {"users", "channels", "jobs", "queueDepth"}
