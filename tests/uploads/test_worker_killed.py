"""A worker killed (SIGKILL) in the middle of an upload loses nothing and duplicates nothing.

Real worker processes (``celery -A gateway worker``) against Redis and this test's database:
the first is killed mid-upload; the beat's re-dispatch (called here) finds the stale RUNNING
job, and a second worker resumes the YouTube session where YouTube says it stands.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection

from billing.models import PlanUsage
from core.redis import get_redis
from tests.fakes.asset_server import AssetServer, write_random_file
from tests.providers.youtube import CHUNK
from tests.support.processes import ROOT, child_env
from tests.uploads.test_worker import wait_until_finished
from uploads.models import Job, JobStatus
from uploads.tasks import jobs_dispatch_due

pytestmark = [
    pytest.mark.drill,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="worker processes share PostgreSQL (CI)"
    ),
]


def _database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database)."""
    db = django_settings.DATABASES["default"]
    auth = quote(db["USER"] or "postgres") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    host = db["HOST"] or "localhost"
    return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def _start_worker(fake_youtube, asset_host: str) -> subprocess.Popen:
    env = child_env(
        DATABASE_URL=_database_url(),
        REDIS_URL=django_settings.REDIS_URL,
        JWT_SECRET=django_settings.JWT_SECRET,
        ENCRYPTION_KEY=django_settings.ENCRYPTION_KEY,
        YOUTUBE_API_URL=fake_youtube.url,
        GOOGLE_OAUTH_TOKEN_URL=f"{fake_youtube.url}/token",
        YOUTUBE_CLIENT_ID="fake-client-id",
        YOUTUBE_CLIENT_SECRET="fake-client-secret",
        OUTBOUND_ALLOWED_HOSTS=asset_host,
        UPLOAD_CHUNK_SIZE=str(CHUNK),
        UPLOAD_STALE_AFTER="2s",  # the lease a worker takes, renewed while it lives
        LOG_LEVEL="WARNING",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "gateway", "worker", "--pool", "solo",
         "--loglevel", "WARNING", "--without-mingle", "--without-gossip"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def test_a_worker_killed_mid_upload_ends_succeeded_once_with_usage_counted_once(
    auth_client, channel, tmp_path, settings, fake_youtube
):
    path = tmp_path / "asset.mp4"
    size = 16 * CHUNK + 1234
    sha = write_random_file(path, size)
    fake_youtube.chunk_delay = 0.1
    settings.UPLOAD_STALE_AFTER = timedelta(seconds=2)
    get_redis().flushdb()
    with AssetServer(path) as server:
        settings.OUTBOUND_ALLOWED_HOSTS = [server.host]
        first = _start_worker(fake_youtube, server.host)
        second = None
        try:
            response = auth_client.post(
                "/api/v1/upload",
                {"channelId": str(channel.pk), "assetUrl": server.url, "title": "t"},
                format="json",
            )
            job = Job.objects.get(pk=response.json()["jobId"])
            _wait_for(lambda: fake_youtube.sessions and fake_youtube.stored_bytes() >= 4 * CHUNK)

            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
            job.refresh_from_db()
            assert job.status == JobStatus.RUNNING
            assert job.upload_session_uri
            stored_at_kill = fake_youtube.stored_bytes()
            assert 0 < stored_at_kill < size

            second = _start_worker(fake_youtube, server.host)
            time.sleep(2.2)  # nobody renews the job's lease: it runs out
            assert jobs_dispatch_due() == [job.pk]
            job = wait_until_finished(job, timeout=60)
        finally:
            for process in (first, second):
                if process is not None and process.poll() is None:
                    process.terminate()
                    process.wait(timeout=20)

    assert job.status == JobStatus.SUCCEEDED
    assert job.attempts == 2
    assert job.result["provider_id"] == fake_youtube.session.video_id
    assert job.error is None
    assert Job.objects.filter(status=JobStatus.SUCCEEDED).count() == 1
    assert len(fake_youtube.sessions) == 1  # one video at the platform, resumed not restarted
    assert PlanUsage.objects.get().uploads == 1
    assert len(fake_youtube.initiations) == 1
    assert fake_youtube.status_queries == 1
    assert fake_youtube.session.stored == size
    assert sum(put.length for put in fake_youtube.puts) == size  # each kept byte sent once
    assert fake_youtube.session.sha256.hexdigest() == sha
