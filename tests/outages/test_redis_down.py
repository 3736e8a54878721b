"""Redis stops under a running deployment (daphne + Celery worker and beat, PostgreSQL up).

The API keeps answering quickly, uploads are accepted, ``/health`` names Redis, and once Redis
is back the accepted job runs without anyone touching it.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from billing.services import plans_seed
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.fakes.asset_server import AssetServer, write_random_file
from tests.fakes.youtube_upload import FakeYouTubeUpload
from tests.outages.processes import celery_worker_with_beat, private_redis
from tests.realtime.servers import shared_database_url
from tests.support.processes import asgi_server
from tests.uploads.factories import ChannelFactory
from uploads.models import Job, JobStatus

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

CHUNK = 256 * 1024
QUICK = 1.0  # seconds: every answer while Redis is down


def timed(call, *args, **kwargs) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call(*args, **kwargs)
    return response, time.monotonic() - started


def test_with_redis_stopped_the_api_answers_and_the_job_runs_once_redis_is_back(
    tmp_path: Path,
):
    plans_seed()
    user = UserFactory()
    channel = ChannelFactory(user=user)
    asset_path = tmp_path / "episode.mp4"
    write_random_file(asset_path, 2 * CHUNK + 1000)

    with ExitStack() as stack:
        redis_server = stack.enter_context(private_redis())
        youtube = stack.enter_context(FakeYouTubeUpload())
        asset = stack.enter_context(AssetServer(asset_path))
        env = {
            "DATABASE_URL": shared_database_url(),
            "REDIS_URL": redis_server.url,
            "JWT_SECRET": settings.JWT_SECRET,
            "JWT_ISSUER": settings.JWT_ISSUER,
            "JWT_AUDIENCE": settings.JWT_AUDIENCE,
            "ENCRYPTION_KEY": settings.ENCRYPTION_KEY,
            "LOG_LEVEL": "WARNING",
            "YOUTUBE_API_URL": youtube.url,
            "GOOGLE_OAUTH_TOKEN_URL": f"{youtube.url}/token",
            "YOUTUBE_CLIENT_ID": "fake-client-id",
            "YOUTUBE_CLIENT_SECRET": "fake-client-secret",
            "ASSET_URL_ALLOWED_HOSTS": asset.host,
            "UPLOAD_CHUNK_SIZE": str(CHUNK),
            # The dispatcher (beat) looks every second and re-sends a job not picked up for
            # two seconds, so the test does not wait the default ten minutes.
            "UPLOAD_DISPATCH_INTERVAL": "1s",
            "UPLOAD_STALE_AFTER": "2s",
        }
        base_url = stack.enter_context(asgi_server(**env))
        stack.enter_context(celery_worker_with_beat(tmp_path, **env))
        http = stack.enter_context(httpx.Client(base_url=base_url, timeout=10))

        # given Redis stops while the deployment runs
        redis_server.stop()

        # when a user logs in, reads, and submits an upload
        login, login_took = timed(
            http.post, "/auth/login", json={"email": user.email, "password": DEFAULT_PASSWORD}
        )
        assert login.status_code == 200, login.text
        auth = {"Authorization": f"Bearer {login.json()['access']}"}
        me, me_took = timed(http.get, "/auth/me", headers=auth)
        jobs, jobs_took = timed(http.get, "/api/v1/jobs", headers=auth)
        upload, upload_took = timed(
            http.post,
            "/api/v1/upload",
            json={"channelId": str(channel.pk), "assetUrl": asset.url, "title": "Ep. 1"},
            headers=auth,
        )
        health, health_took = timed(http.get, "/health")

        # then everything answers within a second, and only /health reports the outage
        assert (me.status_code, jobs.status_code) == (200, 200)
        assert upload.status_code == 202, upload.text
        assert health.status_code == 503
        assert health.json()["redis"] == "unavailable"
        assert health.json()["failing"] == ["redis"]
        took = [login_took, me_took, jobs_took, upload_took, health_took]
        assert max(took) < QUICK, took
        job = Job.objects.get(pk=upload.json()["jobId"])
        assert job.status == JobStatus.QUEUED

        # when Redis comes back, nobody intervenes
        redis_server.start()

        # then the accepted job runs, exactly once, and /health recovers
        deadline = time.monotonic() + 90
        while Job.objects.get(pk=job.pk).status != JobStatus.SUCCEEDED:
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-3000:]
            time.sleep(0.2)
        assert len(youtube.initiations) == 1
        assert youtube.session.stored == asset_path.stat().st_size
        deadline = time.monotonic() + 10
        while (health := http.get("/health")).status_code != 200:
            assert time.monotonic() < deadline, health.text
            time.sleep(0.2)
        assert health.json()["redis"] == "connected"
