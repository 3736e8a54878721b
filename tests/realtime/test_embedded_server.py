"""Embedded mode in a real server: no Redis, the in-memory channel layer, and the upload
runner's thread inside the daphne process publishing to that process's sockets."""

from __future__ import annotations

import asyncio
import json
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from djangorestframework_camel_case.util import camelize
from websockets.asyncio.client import connect

from billing.services import plans_seed
from tests.factories import ChannelFactory, UserFactory
from tests.fakes.asset_server import AssetServer, write_random_file
from tests.providers.youtube import CHUNK
from tests.providers.youtube.fake_upload import FakeYouTubeUpload
from tests.realtime.conftest import access_token
from tests.realtime.servers import start_servers
from uploads.models import Job

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_job_run_by_the_embedded_runner_reaches_a_socket_of_the_same_server(tmp_path: Path):
    plans_seed()
    channel = ChannelFactory(user=UserFactory())
    token = access_token(channel.user)
    asset_path = tmp_path / "episode.mp4"
    write_random_file(asset_path, 4 * CHUNK + 100_000)  # five chunks: progress in steps

    async def scenario(server: str, asset_url: str) -> tuple[str, list[dict]]:
        async with connect(f"{server}/ws/jobs?token={token}") as ws:
            assert json.loads(await ws.recv())["type"] == "auth:ok"
            async with httpx.AsyncClient(base_url=server.replace("ws://", "http://")) as http:
                response = await http.post(
                    "/api/v1/upload",
                    json={"channelId": str(channel.pk), "assetUrl": asset_url, "title": "Ep. 1"},
                    headers={"Authorization": f"Bearer {token}"},
                )
            assert response.status_code == 202, response.text
            events = [json.loads(await asyncio.wait_for(ws.recv(), timeout=20))]
            while events[-1]["type"] == "job:update":
                events.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=20)))
            return response.json()["jobId"], events

    with ExitStack() as stack:
        youtube = stack.enter_context(FakeYouTubeUpload())
        asset = stack.enter_context(AssetServer(asset_path))
        (server,) = start_servers(
            stack,
            1,
            REDIS_URL="",  # embedded mode
            YOUTUBE_API_URL=youtube.url,
            GOOGLE_OAUTH_TOKEN_URL=f"{youtube.url}/token",
            YOUTUBE_CLIENT_ID="fake-client-id",
            YOUTUBE_CLIENT_SECRET="fake-client-secret",
            OUTBOUND_ALLOWED_HOSTS=asset.host,
            UPLOAD_CHUNK_SIZE=str(CHUNK),
            UPLOAD_PROGRESS_INTERVAL="0",  # every chunk reported, however fast
        )
        job_id, events = asyncio.run(scenario(server, asset.url))

    job = Job.objects.get(pk=job_id)
    *updates, done = events
    progress = [event["progress"] for event in updates]
    assert updates == [
        {
            "type": "job:update",
            "jobId": job_id,
            "status": "RUNNING",
            "progress": p,
            "waitingFor": None,
        }
        for p in progress
    ]
    assert len(progress) >= 5
    assert progress == sorted(set(progress))
    assert progress[0] == 0  # it started
    assert progress[-1] <= 99
    assert done == {
        "type": "job:done",
        "jobId": job_id,
        "status": "SUCCEEDED",
        "progress": 100,
        "result": dict(camelize(job.result)),
    }
