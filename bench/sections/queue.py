"""Queue: jobs per second from ``POST /api/v1/upload`` to SUCCEEDED (instant provider), next
to the engine ceiling: as many no-op Celery tasks (``bench.tasks.noop``) on the same broker
and worker pool, from the first send until the last has run.

Uploads are posted by ``CLIENTS`` threads, as clients would; the clock runs from the first
request until every job is SUCCEEDED.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from bench.measure import Row, Target
from bench.providers import INSTANT_PLATFORM
from bench.setup import Context, jobs_wait, upload_post
from bench.tasks import noop
from core.redis import get_redis
from uploads.models import Job, JobStatus

SECTION = "queue"
CLIENTS = 8


def _engine_ceiling(count: int, timeout: float) -> float:
    """No-op tasks per second through the broker and the worker pool."""
    redis = get_redis()
    assert redis is not None
    counter = f"bench:noop:{uuid.uuid4().hex}"
    started = time.monotonic()
    for _ in range(count):
        noop.delay(counter)
    deadline = started + timeout
    while int(redis.get(counter) or 0) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{redis.get(counter)} of {count} no-op tasks after {timeout}s")
        time.sleep(0.02)
    elapsed = time.monotonic() - started
    redis.delete(counter)
    return count / elapsed


def _pipeline(ctx: Context, count: int, timeout: float) -> tuple[float, float]:
    """Jobs per second end to end, and uploads accepted per second."""
    title = f"queue-{uuid.uuid4().hex[:8]}"
    asset = ctx.fakes.assets.url(1024, "episode.mp3")
    started = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(lambda n: upload_post(ctx, platform=INSTANT_PLATFORM, asset_url=asset,
                                            title=f"{title} {n}"), range(count)))  # fmt: skip
    accepted = time.monotonic() - started
    done = Job.objects.filter(user=ctx.user, title__startswith=title, status=JobStatus.SUCCEEDED)
    finished = jobs_wait(done, count=count, timeout=timeout)
    return count / (finished - started), count / accepted


def run(ctx: Context) -> list[Row]:
    count = 50 if ctx.smoke else 500
    timeout = 120 if ctx.smoke else 300
    ceiling = _engine_ceiling(count, timeout)
    jobs_per_second, accepted = _pipeline(ctx, count, timeout)
    end_to_end = f"{count} uploads to SUCCEEDED vs no-op tasks"
    return [
        Row(SECTION, end_to_end, jobs_per_second, "jobs/s", ceiling, Target.ratio_at_least(0.5)),
        Row(SECTION, f"{count} uploads accepted ({CLIENTS} clients)", accepted, "req/s"),
    ]
