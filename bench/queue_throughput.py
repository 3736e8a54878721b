"""Jobs per second through the real queue: Redis broker + a Celery worker, instant provider.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/queue_throughput.py \
        [--jobs 500] [--concurrency 2]

The database must be migrated (``manage.py migrate``). The script starts a worker process
(``--worker`` mode: Celery prefork worker whose provider lookup returns a provider that
publishes instantly), accepts ``--jobs`` uploads through ``uploads.services.jobs.job_create`` (each
dispatched after commit, as the API does), and measures from the first acceptance until every
job is SUCCEEDED. Its rows are deleted afterwards. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway.settings")


def _instant_provider():
    from providers.base import Provider, PublishResult
    from providers.platforms import Platform

    class InstantProvider(Provider):
        platform = Platform.YOUTUBE
        connect = "oauth"
        uploads = True
        title_max_length = 100

        def publish(self, request, *, on_progress, on_session):
            on_progress(50)
            return PublishResult(provider_id=f"instant-{request.title}", url="https://example.com")

    return InstantProvider()


def prepare_instant_pipeline() -> None:
    """Plans seeded, an empty queue, the instant provider, and ``cdn.example.com`` (the assets'
    host, never contacted) resolving to a public address. Call after ``django.setup()``."""
    from django.conf import settings

    import uploads.services.jobs
    from billing.services import plans_seed
    from core.redis import get_redis

    plans_seed()
    get_redis().delete(settings.CELERY_TASK_DEFAULT_QUEUE)
    provider = _instant_provider()
    uploads.services.jobs.get_provider = lambda platform: provider
    real_getaddrinfo = socket.getaddrinfo
    socket.getaddrinfo = lambda host, port, *a, **k: (
        [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]
        if host == "cdn.example.com"
        else real_getaddrinfo(host, port, *a, **k)
    )


def worker(concurrency: int) -> None:
    import django

    django.setup()
    import contextlib
    import io

    import uploads.services.pipeline
    from gateway.celery import app

    provider = _instant_provider()
    uploads.services.pipeline.get_provider = lambda platform: provider
    # The asset host is never contacted: the pipeline reads a few local bytes.
    uploads.services.pipeline.asset_stream_open = lambda url: contextlib.nullcontext(
        io.BytesIO(b"bench")
    )
    app.worker_main(
        ["worker", "--pool", "prefork", "--concurrency", str(concurrency), "--loglevel",
         "WARNING", "--without-mingle", "--without-gossip"]
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    import uploads.services.jobs
    from accounts.models import User
    from billing.models import Plan
    from channels_app.models import Channel, ChannelStatus
    from uploads.models import Job, JobStatus

    if not settings.REDIS_URL:
        sys.exit("REDIS_URL must be set: this measures the Redis queue.")
    prepare_instant_pipeline()
    user = User.objects.create_user(
        f"bench-{time.time_ns()}@example.com", None, plan=Plan.objects.get(code="agency")
    )
    channel = Channel.objects.create(
        user=user, platform="youtube", provider_channel_id="UCbench", status=ChannelStatus.ACTIVE
    )
    process = subprocess.Popen(
        [sys.executable, __file__, "--worker", str(args.concurrency)], cwd=ROOT
    )
    try:
        time.sleep(4)  # worker start-up is not what is measured
        started = time.monotonic()
        for index in range(args.jobs):
            uploads.services.jobs.job_create(
                user=user, channel_id=channel.pk, title=f"bench {index}",
                asset_url="https://cdn.example.com/video.mp4",
            )  # fmt: skip
        accepted = time.monotonic() - started
        jobs = Job.objects.filter(user=user)
        while jobs.filter(status=JobStatus.SUCCEEDED).count() < args.jobs:
            if time.monotonic() - started > 600:
                sys.exit("timed out")
            time.sleep(0.02)
        elapsed = time.monotonic() - started
    finally:
        process.terminate()
        process.wait(timeout=30)
        user.delete()
    print(
        f"{args.jobs} jobs, worker concurrency {args.concurrency}: accepted in {accepted:.2f}s "
        f"({args.jobs / accepted:.0f}/s), all SUCCEEDED after {elapsed:.2f}s "
        f"({args.jobs / elapsed:.0f} jobs/s end to end)"
    )


if __name__ == "__main__":
    if "--worker" in sys.argv:
        worker(int(sys.argv[sys.argv.index("--worker") + 1]))
    else:
        main()
