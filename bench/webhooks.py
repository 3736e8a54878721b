"""Webhook fan-out: deliveries per second, and the pipeline's throughput with and without it.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/webhooks.py \
        [--users 10] [--endpoints-per-user 10] [--events 1000] [--jobs 300] [--concurrency 2]

The database must be migrated. Runs under ``bench.settings``, whose instant provider (an
Audiomack channel that publishes at once, ``bench/providers.py``) is registered in every
process. The script starts the benchmark's asset host, one loopback receiver per endpoint (100
by default, each verifying every delivery with the ``standardwebhooks`` verifier and answering
200) and a Celery worker (prefork, ``--concurrency``) allowed to reach them through
``OUTBOUND_ALLOWED_HOSTS``. Then:

1. **Fan-out**: ``--events`` job events (``uploads.events.publish_job_event``, ten per job)
   spread over ``--users`` users with ``--endpoints-per-user`` endpoints each; measured from the
   first event until every delivery is DELIVERED; also what publishing cost the publisher.
2. **Pipeline**: ``--jobs`` uploads through ``uploads.services.jobs.job_create`` until
   SUCCEEDED, for a user without endpoints and then for one with ``--endpoints-per-user``
   endpoints (every job sends two events: progress and done), in jobs per second end to end.

Its rows are deleted afterwards. Not part of the test suite nor of ``make bench``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"  # the instant provider, everywhere

TIMEOUT = 900.0
EVENTS_PER_JOB = 10


def _wait(what: str, done, started: float) -> float:
    """Poll until ``done()``, starting due retries every second as the beat would."""
    from webhooks.tasks import deliveries_dispatch_due

    beat = 0.0
    while not done():
        if time.monotonic() - started > TIMEOUT:
            sys.exit(f"timed out waiting for {what}")
        if time.monotonic() - beat > 1:
            deliveries_dispatch_due.delay()
            beat = time.monotonic()
        time.sleep(0.05)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--endpoints-per-user", type=int, default=10)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    import uploads.services.jobs
    from accounts.models import User
    from bench.fakes import AssetServer
    from bench.providers import INSTANT_PLATFORM
    from billing.models import Plan
    from billing.services import plans_seed
    from channels_app.models import Channel, ChannelStatus
    from core.redis import get_redis
    from tests.webhooks.receiver import WebhookReceiver
    from uploads.models import Job, JobStatus
    from webhooks.models import DeliveryStatus, WebhookDelivery
    from webhooks.services import endpoint_create

    if not settings.REDIS_URL:
        sys.exit("REDIS_URL must be set: deliveries run in the Celery worker.")
    plans_seed()
    get_redis().delete(settings.CELERY_TASK_DEFAULT_QUEUE)
    agency = Plan.objects.get(code="agency")
    stamp = time.time_ns()
    assets = AssetServer().start()
    asset_url = assets.url(1024, "episode.mp3")
    receivers = [WebhookReceiver().start() for _ in range(args.users * args.endpoints_per_user)] + [
        WebhookReceiver().start() for _ in range(args.endpoints_per_user)
    ]
    hosts = [assets.host, *(r.host for r in receivers)]
    settings.OUTBOUND_ALLOWED_HOSTS = hosts
    users: list[User] = []

    def creator(name: str, endpoints: list[WebhookReceiver]) -> tuple[User, Channel]:
        user = User.objects.create_user(f"bench-{name}-{stamp}@example.com", None, plan=agency)
        users.append(user)
        channel = Channel.objects.create(
            user=user, platform=INSTANT_PLATFORM, provider_channel_id=f"bench-{name}",
            status=ChannelStatus.ACTIVE,
        )  # fmt: skip
        for receiver in endpoints:
            receiver.secret = endpoint_create(owner=user, url=receiver.url).secret
        return user, channel

    env = {**os.environ, "OUTBOUND_ALLOWED_HOSTS": ",".join(hosts)}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "gateway", "worker", "--pool", "prefork",
         "--concurrency", str(args.concurrency), "--loglevel", "WARNING", "--without-mingle",
         "--without-gossip"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        time.sleep(4)  # worker start-up is not what is measured

        # 1. Fan-out of job events to every endpoint of their owner, after a baseline of the
        # same events published for a user without endpoints.
        per_user = args.endpoints_per_user
        jobs_per_user = max(1, args.events // EVENTS_PER_JOB // args.users)
        baseline_user, baseline_channel = creator("baseline", [])
        baseline_jobs = _running_jobs(baseline_user, baseline_channel, jobs_per_user * args.users)
        jobs: list[Job] = []
        for index in range(args.users):
            own = receivers[index * per_user : (index + 1) * per_user]
            jobs += _running_jobs(*creator(f"fan{index}", own), jobs_per_user)
        baseline = _publish(baseline_jobs, args.events)
        started = time.monotonic()
        published = _publish(jobs, args.events)
        expected = args.events * per_user
        fan_out = WebhookDelivery.objects.filter(endpoint__owner__in=users)
        elapsed = _wait(
            "the deliveries",
            lambda: fan_out.filter(status=DeliveryStatus.DELIVERED).count() >= expected,
            started,
        )
        fan_receivers = receivers[: args.users * per_user]
        received = [r for receiver in fan_receivers for r in receiver.received]
        print(
            f"fan-out: {args.events} events x {per_user} endpoints/user "
            f"({len(fan_receivers)} endpoints) = {expected} deliveries in {elapsed:.2f}s "
            f"({expected / elapsed:.0f} deliveries/s); {len(received)} received, "
            f"{sum(r.verified for r in received)} verified, order per job kept: "
            f"{_in_order(fan_receivers)}; publisher: {published / args.events * 1000:.2f} ms "
            f"per event ({baseline / args.events * 1000:.2f} ms without endpoints)"
        )

        # 2. The pipeline, without and with webhooks.
        for label, endpoints in (
            ("without webhooks", []),
            ("with webhooks", receivers[-per_user:]),
        ):
            user, channel = creator(label.replace(" ", "-"), endpoints)
            started = time.monotonic()
            for index in range(args.jobs):
                uploads.services.jobs.job_create(
                    user=user, channel_id=channel.pk, title=f"bench {index}", asset_url=asset_url
                )
            accepted = time.monotonic() - started
            done = Job.objects.filter(user=user, status=JobStatus.SUCCEEDED)
            elapsed = _wait("the jobs", lambda: done.count() >= args.jobs, started)  # noqa: B023
            deliveries = WebhookDelivery.objects.filter(endpoint__owner=user)
            total = args.jobs * 2 * len(endpoints)  # job:update at 50, job:done
            delivered_after = _wait(
                "the pipeline's deliveries",
                lambda: deliveries.filter(status=DeliveryStatus.DELIVERED).count() >= total,  # noqa: B023
                started,
            )
            print(
                f"pipeline {label}: {args.jobs} jobs accepted at {args.jobs / accepted:.0f}/s, "
                f"all SUCCEEDED after {elapsed:.2f}s ({args.jobs / elapsed:.0f} jobs/s); "
                f"{total} deliveries, all delivered after {delivered_after:.2f}s"
            )
    finally:
        process.terminate()
        process.wait(timeout=30)
        for user in users:
            user.delete()
        for receiver in receivers:
            receiver.stop()
        assets.stop()


def _running_jobs(user, channel, count: int) -> list:
    from uploads.models import Job, JobStatus

    return [
        Job.objects.create(
            user=user,
            channel=channel,
            platform=channel.platform,
            title=f"bench {n}",
            asset_url="https://cdn.example.com/video.mp4",
            status=JobStatus.RUNNING,
        )
        for n in range(count)
    ]


def _publish(jobs: list, count: int) -> float:
    """Publish ``count`` progress events round-robin over ``jobs``; seconds it took."""
    from uploads.events import publish_job_event

    started = time.monotonic()
    for index in range(count):
        job = jobs[index % len(jobs)]
        job.progress = min(99, index // len(jobs) + 1)
        publish_job_event(job)  # outside a transaction: handed on at once
    return time.monotonic() - started


def _in_order(receivers) -> bool:
    """Every receiver saw each job's progress rising, with no event missing."""
    for receiver in receivers:
        seen: dict[str, list[int]] = defaultdict(list)
        for received in receiver.received:
            seen[received.event["jobId"]].append(received.event["progress"])
        if any(progress != sorted(set(progress)) for progress in seen.values()):
            return False
    return True


if __name__ == "__main__":
    main()
