"""The monthly quota holds under concurrent requests (PostgreSQL row locks; real threads)."""

from __future__ import annotations

import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from billing.models import PlanUsage
from uploads.models import Job

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs it)"
    ),
]


def test_20_concurrent_uploads_on_the_free_plan_accept_exactly_2(
    user, channel, monkeypatch, settings
):
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
    start = threading.Barrier(20)

    def post(index: int) -> int:
        client = APIClient()
        client.force_authenticate(user)
        try:
            start.wait(timeout=10)
            response = client.post(
                "/api/v1/upload",
                {
                    "channelId": str(channel.pk),
                    "assetUrl": "https://cdn.example.com/video.mp4",
                    "title": f"Video {index}",
                },
                format="json",
            )
            if response.status_code == 403:
                assert response.json()["errors"][0]["code"] == "plan_limit_reached"
            return response.status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(post, range(20)))

    assert sorted(statuses) == [202] * 2 + [403] * 18
    assert Job.objects.count() == 2
    assert PlanUsage.objects.get(user=user).uploads == 2
