"""Every status change of a job reaches the owner's sockets, in order (docs/api.md, Realtime)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from rest_framework.test import APIClient

from providers.errors import TransientProviderError
from tests.factories import JobFactory
from tests.fakes.asset_server import AssetServer, write_random_file
from tests.realtime.conftest import in_thread, open_socket, running_update
from uploads.models import Job, JobStatus
from uploads.services.pipeline import run_job

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("channel_layer_backend"),
]


def test_a_single_chunk_upload_is_seen_running_then_done(user, tmp_path, settings, fake_youtube):
    # Given a job whose asset fits in one chunk
    path = tmp_path / "short.mp4"
    write_random_file(path, 100_000)
    with AssetServer(path) as server:
        settings.OUTBOUND_ALLOWED_HOSTS = [server.host]
        job = JobFactory(channel__user=user, asset_url=server.url)

        async def scenario() -> list[dict]:
            ws = await open_socket(user)
            worker = in_thread(lambda: run_job(job_id=job.pk))
            received = [await ws.receive_json_from(timeout=10) for _ in range(2)]
            await asyncio.to_thread(worker.join, 10)
            assert await ws.receive_nothing(timeout=0.3)
            await ws.disconnect()
            return received

        # When a worker runs it
        received = async_to_sync(scenario)()

    # Then the dashboard sees it start, then succeed
    job.refresh_from_db()
    assert received == [
        running_update(job, 0),
        {
            "type": "job:done",
            "jobId": str(job.id),
            "status": "SUCCEEDED",
            "progress": 100,
            "result": {"providerId": job.result["provider_id"], "url": job.result["url"]},
        },
    ]


def test_a_cancel_reaches_every_socket_of_the_user_and_no_one_else(user, other_user):
    # Given a queued job and two tabs of its owner, and a stranger's socket
    job = JobFactory(channel__user=user)
    client = APIClient()
    client.force_authenticate(user)
    responses: list[int] = []

    async def scenario() -> None:
        tabs = [await open_socket(user), await open_socket(user)]
        stranger = await open_socket(other_user)

        # When the owner cancels it
        request = in_thread(
            lambda: responses.append(client.post(f"/api/v1/jobs/{job.pk}/cancel").status_code)
        )
        await asyncio.to_thread(request.join, 10)

        # Then both tabs hear of it, and nobody else does
        for tab in tabs:
            assert await tab.receive_json_from(timeout=5) == {
                "type": "job:canceled",
                "jobId": str(job.id),
                "status": "CANCELED",
            }
            assert await tab.receive_nothing(timeout=0.2)
        assert await stranger.receive_nothing(timeout=0.3)
        for ws in (*tabs, stranger):
            await ws.disconnect()

    async_to_sync(scenario)()
    assert responses == [200]


def test_a_transient_failure_is_seen_as_queued_again_with_its_retry_time(
    user, instant_provider, monkeypatch
):
    # Given a platform that fails transiently once it got half the upload
    def publish(request: Any, *, on_progress: Any, on_session: Any) -> None:
        on_progress(50)
        raise TransientProviderError("The platform is busy.")

    monkeypatch.setattr(instant_provider, "publish", publish)
    job = JobFactory(channel__user=user)

    async def scenario() -> list[dict]:
        ws = await open_socket(user)
        worker = in_thread(lambda: run_job(job_id=job.pk))
        received = [await ws.receive_json_from(timeout=10) for _ in range(3)]
        await asyncio.to_thread(worker.join, 10)
        await ws.disconnect()
        return received

    # When a worker runs it
    received = async_to_sync(scenario)()

    # Then the feed shows it start, move, and wait for its retry, in that order
    job = Job.objects.get(pk=job.pk)
    assert job.status == JobStatus.QUEUED
    assert received == [
        running_update(job, 0),
        running_update(job, 50),
        {
            "type": "job:update",
            "jobId": str(job.id),
            "status": "QUEUED",
            "progress": 50,
            "waitingFor": {
                "reason": "retry",
                "until": job.run_after.isoformat().replace("+00:00", "Z"),
            },
        },
    ]
