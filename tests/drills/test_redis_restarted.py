"""Drill: Redis restarts with its queue emptied while accepted jobs are due.

Uploads are accepted while no worker runs, so their tasks sit in Redis; Redis then restarts
empty (no persistence, as configured here). ``/health`` reports Redis down, then up; the beat's
dispatcher finds the due jobs no worker picked up and sends them again: each ends SUCCEEDED
once, one video each at the platform, and usage counts each upload once.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import redis
from django.conf import settings

from billing.models import PlanUsage
from billing.services import plans_seed
from tests.factories import DEFAULT_PASSWORD, ChannelFactory, UserFactory
from tests.fakes.asset_server import AssetServer, write_random_file
from tests.outages.processes import celery_worker_with_beat, deployment_env, private_redis
from tests.outages.test_redis_down import wait_until_succeeded
from tests.providers.youtube.fake_upload import FakeYouTubeUpload
from tests.realtime.servers import shared_database_url
from tests.support.processes import asgi_server
from uploads.models import Job, JobStatus

pytestmark = [pytest.mark.drill, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

CHUNK = 256 * 1024
JOBS = 2  # what the free plan allows a month


def test_redis_restarted_empty_with_jobs_due_runs_each_job_once(tmp_path: Path):
    plans_seed()
    user = UserFactory()
    channel = ChannelFactory(user=user)
    write_random_file(tmp_path / "episode.mp4", 2 * CHUNK + 1000)

    with ExitStack() as stack:
        redis_server = stack.enter_context(private_redis())
        youtube = stack.enter_context(FakeYouTubeUpload())
        asset = stack.enter_context(AssetServer(tmp_path / "episode.mp4"))
        env = deployment_env(
            database_url=shared_database_url(),
            redis_url=redis_server.url,
            youtube_url=youtube.url,
            asset_host=asset.host,
            chunk_size=CHUNK,
        )
        http = stack.enter_context(httpx.Client(base_url=stack.enter_context(asgi_server(**env))))
        login = http.post("/auth/login", json={"email": user.email, "password": DEFAULT_PASSWORD})
        auth = {"Authorization": f"Bearer {login.json()['access']}"}
        body = {"channelId": str(channel.pk), "assetUrl": asset.url, "title": "Ep."}

        # given uploads accepted while no worker runs: their tasks wait in Redis
        accepted = [http.post("/api/v1/upload", json=body, headers=auth) for _ in range(JOBS)]
        assert [r.status_code for r in accepted] == [202] * JOBS, [r.text for r in accepted]
        queued = redis.Redis.from_url(redis_server.url).llen(settings.CELERY_TASK_DEFAULT_QUEUE)
        assert queued == JOBS

        # when Redis restarts with nothing kept
        redis_server.stop()
        down = http.get("/health")
        redis_server.start()
        assert redis.Redis.from_url(redis_server.url).dbsize() == 0
        up = http.get("/health")
        # ... and a worker with its beat comes up
        stack.enter_context(celery_worker_with_beat(tmp_path, **env))

        # then each accepted job runs to SUCCEEDED, once
        jobs = [Job.objects.get(pk=r.json()["jobId"]) for r in accepted]
        for job in jobs:
            wait_until_succeeded(job, tmp_path)

    assert (down.status_code, down.json()["failing"]) == (503, ["redis"])
    assert (up.status_code, up.json()["redis"]) == (200, "connected")
    assert {job.status for job in Job.objects.all()} == {JobStatus.SUCCEEDED}
    assert Job.objects.count() == JOBS
    assert len(youtube.initiations) == JOBS  # no job initiated twice
    videos = [s for s in youtube.sessions.values() if s.video_id]
    assert len(videos) == JOBS
    assert all(s.stored == 2 * CHUNK + 1000 for s in videos)
    assert PlanUsage.objects.get(user=user).uploads == JOBS
