"""Redis stops under a running deployment (daphne + Celery worker and beat, PostgreSQL up).

The API keeps answering quickly, uploads are accepted, ``/health`` names Redis, and once Redis
is back the accepted job runs without anyone touching it.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from billing.services import plans_seed
from tests.factories import DEFAULT_PASSWORD, ChannelFactory, UserFactory
from tests.fakes.asset_server import AssetServer, write_random_file
from tests.outages.processes import celery_worker_with_beat, deployment_env, private_redis
from tests.providers.youtube.fake_upload import FakeYouTubeUpload
from tests.realtime.servers import shared_database_url
from tests.support.processes import asgi_server
from uploads.models import Job, JobStatus

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

CHUNK = 256 * 1024
QUICK = 1.0  # seconds: every answer while Redis is down


@dataclass
class Visit:
    responses: list[httpx.Response] = field(default_factory=list)
    took: list[float] = field(default_factory=list)

    def timed(self, call, *args, **kwargs) -> httpx.Response:
        started = time.monotonic()
        response = call(*args, **kwargs)
        self.took.append(round(time.monotonic() - started, 3))
        self.responses.append(response)
        return response


def visit(http: httpx.Client, user, channel, asset_url: str, *, upload: bool = True) -> Visit:
    """Log in, read the profile and the jobs, submit an upload, look at /health."""
    seen = Visit()
    login = seen.timed(
        http.post, "/auth/login", json={"email": user.email, "password": DEFAULT_PASSWORD}
    )
    assert login.status_code == 200, login.text
    auth = {"Authorization": f"Bearer {login.json()['access']}"}
    seen.timed(http.get, "/auth/me", headers=auth)
    seen.timed(http.get, "/api/v1/jobs", headers=auth)
    body = {"channelId": str(channel.pk), "assetUrl": asset_url, "title": "Ep. 1"}
    if upload:
        seen.timed(http.post, "/api/v1/upload", json=body, headers=auth)
    seen.timed(http.get, "/health")
    return seen


def wait_until_succeeded(job: Job, tmp_path: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while Job.objects.get(pk=job.pk).status != JobStatus.SUCCEEDED:
        assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-3000:]
        time.sleep(0.2)


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
        env = deployment_env(
            database_url=shared_database_url(),
            redis_url=redis_server.url,
            youtube_url=youtube.url,
            asset_host=asset.host,
            chunk_size=CHUNK,
        )
        # The default UPLOAD_STALE_AFTER (ten minutes) stays: a job the queue refused is sent on
        # the dispatcher's next pass, not after the stale threshold.
        del env["UPLOAD_STALE_AFTER"]
        base_url = stack.enter_context(asgi_server(**env))
        stack.enter_context(celery_worker_with_beat(tmp_path, **env))
        http = stack.enter_context(httpx.Client(base_url=base_url, timeout=10))

        # given a deployment that has been serving (its first requests pay one-off start-up
        # costs: imports, connections) ...
        before = visit(http, user, channel, asset.url)
        assert [r.status_code for r in before.responses] == [200, 200, 200, 202, 200]
        first_job = Job.objects.get(pk=before.responses[3].json()["jobId"])
        wait_until_succeeded(first_job, tmp_path)

        warm = visit(http, user, channel, asset.url, upload=False)

        # ... when Redis stops and a user logs in, reads, and submits an upload
        redis_server.stop()
        during = visit(http, user, channel, asset.url)

        # then everything answers within a second, and only /health reports the outage
        login, me, jobs, upload, health = during.responses
        assert (login.status_code, me.status_code, jobs.status_code) == (200, 200, 200)
        assert upload.status_code == 202, upload.text
        assert health.status_code == 503
        assert health.json()["redis"] == "unavailable"
        assert health.json()["failing"] == ["redis"]
        figures = {"with Redis": warm.took, "without": during.took}
        # Login verifies an Argon2 hash (100 MB, by design slow): on a loaded machine that alone
        # can pass a second, so login is held to its own time with Redis plus the bound.
        assert during.took[0] < warm.took[0] + QUICK, figures
        assert max(during.took[1:]) < QUICK, figures
        job = Job.objects.get(pk=upload.json()["jobId"])
        assert job.status == JobStatus.QUEUED

        # when Redis comes back, nobody intervenes
        redis_server.start()

        # then the accepted job runs, exactly once, and /health recovers
        wait_until_succeeded(job, tmp_path)
        assert len(youtube.initiations) == 2  # one per job: nothing sent twice
        deadline = time.monotonic() + 10
        while (health := http.get("/health")).status_code != 200:
            assert time.monotonic() < deadline, health.text
            time.sleep(0.2)
        assert health.json()["redis"] == "connected"
