"""The monthly quota and idempotency keys hold under concurrent requests (PostgreSQL row
locks; real threads, each with its own connection)."""

from __future__ import annotations

import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from billing.models import PlanUsage
from billing.services import month_start
from tests.factories import JobFactory
from uploads.models import Job

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs it)"
    ),
]


@pytest.fixture
def cdn(monkeypatch) -> None:
    """``cdn.example.com`` resolves to a public address; no job is sent to a worker."""
    real = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: (
            [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]
            if host == "cdn.example.com"
            else real(host, port, *a, **k)
        ),
    )
    monkeypatch.setattr("uploads.services.jobs.job_dispatch", lambda job: None)


def _post_together(user, bodies: list[dict], headers: list[dict]) -> list:
    """POST every body at the same moment, each from its own thread and connection."""
    start = threading.Barrier(len(bodies))

    def post(index: int):
        client = APIClient()
        client.force_authenticate(user)
        try:
            start.wait(timeout=10)
            return client.post("/api/v1/upload", bodies[index], format="json", **headers[index])
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, range(len(bodies))))


def _body(channel, title: str) -> dict:
    return {
        "channelId": str(channel.pk),
        "assetUrl": "https://cdn.example.com/video.mp4",
        "title": title,
    }


@pytest.mark.usefixtures("cdn")
def test_20_concurrent_uploads_on_the_free_plan_accept_exactly_2(user, channel):
    responses = _post_together(
        user, [_body(channel, f"Video {index}") for index in range(20)], [{}] * 20
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [202] * 2 + [403] * 18
    refused = [r.json()["errors"][0]["code"] for r in responses if r.status_code == 403]
    assert set(refused) == {"plan_limit_reached"}
    assert Job.objects.count() == 2
    assert PlanUsage.objects.get(user=user).uploads == 2


@pytest.mark.usefixtures("cdn")
def test_concurrent_replays_of_one_key_at_the_quota_edge_all_get_the_first_job(user, channel):
    # Given a free-plan user with one upload left this month
    JobFactory(channel=channel)
    PlanUsage.objects.create(user=user, period_start=month_start(), uploads=1)

    # When ten copies of one request with one Idempotency-Key arrive together
    headers = {"HTTP_IDEMPOTENCY_KEY": "same-key"}
    responses = _post_together(user, [_body(channel, "Once")] * 10, [headers] * 10)

    # Then every copy is answered with the one job the first created, and one slot is used
    assert [response.status_code for response in responses] == [202] * 10
    job = Job.objects.get(idempotency_key="same-key")
    assert {response.json()["jobId"] for response in responses} == {str(job.pk)}
    assert Job.objects.count() == 2
    assert PlanUsage.objects.get(user=user).uploads == 2


@pytest.mark.usefixtures("cdn")
def test_concurrent_uses_of_one_key_with_different_bodies_create_one_job(user, channel):
    # Given a user with slots to spare
    # When one key arrives together with two different requests, five copies of each
    headers = {"HTTP_IDEMPOTENCY_KEY": "same-key"}
    bodies = [_body(channel, "First"), _body(channel, "Second")] * 5
    responses = _post_together(user, bodies, [headers] * 10)

    # Then one request's copies get its job and the other request's copies are 422
    job = Job.objects.get()
    winner = job.title
    for body, response in zip(bodies, responses, strict=True):
        if body["title"] == winner:
            assert response.status_code == 202
            assert response.json()["jobId"] == str(job.pk)
        else:
            assert response.status_code == 422
            assert response.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert PlanUsage.objects.get(user=user).uploads == 1
