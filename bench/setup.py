"""The set-up every section shares: the bench plan and user, its token and channels, the
running stack and fakes (one :class:`Context`), and the helpers that post uploads and wait for
jobs. Everything the benchmark creates belongs to users at ``@bench.invalid``; :func:`teardown`
deletes them and their rows.
"""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.db import connection

from accounts.models import User
from accounts.services import session_start
from bench.fakes import Fakes
from bench.providers import INSTANT_PLATFORM
from bench.stack import Stack
from billing.models import Plan
from channels_app.models import Channel, ChannelStatus
from core import crypto
from core.owner_versions import owners_changed
from core.redis import get_redis
from uploads.models import Job, JobStatus

DOMAIN = "bench.invalid"
EMAIL = f"bench@{DOMAIN}"
LISTED_JOBS = 20
# Channels of the bench user; the instant one takes the queue and API uploads.
CHANNELS = {
    INSTANT_PLATFORM: "bench-instant",
    "youtube": "UCbench",
    "soundcloud": "4242",
    "deezer": "123456",
    "tunein": "p123456",
}


@dataclass(frozen=True)
class Context:
    """What a section gets: the running service, the fakes, the bench user and its token."""

    stack: Stack
    fakes: Fakes
    user: User
    token: str
    channels: dict[str, UUID]
    smoke: bool
    out: Path  # where sections write what does not fit in the table (plans)

    def url(self, path: str) -> str:
        return f"{self.stack.base_url}{path}"


def bench_user_create(fakes: Fakes) -> tuple[User, str, dict[str, UUID]]:
    """The bench user on a plan whose limits never bite (the throttle still runs), its
    channels (OAuth ones with grants the fakes accept) and ``LISTED_JOBS`` finished jobs."""
    teardown()
    plan, _ = Plan.objects.update_or_create(
        code="bench",
        defaults={
            "name": "Bench",
            "channel_limit": 100,
            "upload_quota": None,
            "storage_limit_bytes": None,
            "requests_per_minute": 10**9,
            "sort_order": 99,
        },
    )
    user = User.objects.create_user(email=EMAIL, plan=plan)
    channels = {
        platform: Channel.objects.create(
            user=user,
            platform=platform,
            provider_channel_id=provider_id,
            display_name=f"Bench {platform}",
            status=ChannelStatus.ACTIVE,
        )
        for platform, provider_id in CHANNELS.items()
    }
    grants = {"youtube": "bench", "soundcloud": fakes.soundcloud_grant()}
    for platform, grant in grants.items():
        channel = channels[platform]
        channel.refresh_token_encrypted = crypto.encrypt(grant, associated_data=str(channel.id))
        channel.save(update_fields=["refresh_token_encrypted"])
    listed = list(channels.values())
    Job.objects.bulk_create(
        Job(
            user=user,
            channel=listed[n % len(listed)],
            platform=listed[n % len(listed)].platform,
            asset_url="https://cdn.example.com/a.mp3",
            title=f"Episode {n}",
            status=JobStatus.SUCCEEDED,
            quota_period=date.today().replace(day=1),
        )
        for n in range(LISTED_JOBS)
    )
    token = session_start(user=user).access
    return user, token, {platform: channel.pk for platform, channel in channels.items()}


def users_create(count: int, tag: str) -> list[User]:
    """``count`` more users (no password), e.g. one per WebSocket client."""
    return User.objects.bulk_create(
        User(email=f"{tag}-{n}@{DOMAIN}", password="!")  # noqa: S106 - unusable
        for n in range(count)
    )


def filler_users_create(count: int) -> list[tuple[UUID, UUID]]:
    """``count`` users with one YouTube channel each: (user id, channel id) pairs."""
    users = users_create(count, f"filler-{uuid.uuid4().hex[:8]}")
    channels = Channel.objects.bulk_create(
        Channel(user=user, platform="youtube", provider_channel_id=f"UCfiller{n}",
                status=ChannelStatus.ACTIVE)
        for n, user in enumerate(users)
    )  # fmt: skip
    return [(channel.user_id, channel.pk) for channel in channels]


def jobs_delete(user_ids: list) -> None:
    """Delete these users' jobs in one statement (no row refers to a job)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM uploads_job WHERE user_id = ANY(%s)", [list(user_ids)])
    owners_changed(user_ids)  # SQL Django does not see


def teardown() -> None:
    """Delete every row the benchmark made (users at ``@bench.invalid`` and what they own)."""
    users = User.objects.filter(email__endswith=f"@{DOMAIN}")
    jobs_delete(list(users.values_list("pk", flat=True)))
    users.delete()


def upload_post(ctx: Context, *, platform: str, asset_url: str, title: str) -> str:
    """``POST /api/v1/upload`` as a client would; the accepted job's id."""
    body = {"channelId": str(ctx.channels[platform]), "assetUrl": asset_url, "title": title}
    request = urllib.request.Request(  # noqa: S310 (loopback)
        ctx.url("/api/v1/upload"),
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {ctx.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
        return json.load(response)["jobId"]


def jobs_wait(jobs, *, count: int, timeout: float, poll: float = 0.05) -> float:
    """Wait until ``jobs`` (a queryset) holds ``count`` rows; the monotonic time it did."""
    deadline = time.monotonic() + timeout
    while jobs.count() < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{jobs.count()} of {count} jobs after {timeout:.0f}s")
        time.sleep(poll)
    return time.monotonic()


def queue_drain(ctx: Context, *, timeout: float) -> None:
    """Let the worker finish the bench user's pending jobs (so the next figure is not measured
    next to a busy worker); after ``timeout`` the rest is canceled and the queue emptied."""
    pending = Job.objects.filter(user=ctx.user, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
    deadline = time.monotonic() + timeout
    while pending.exists():
        if time.monotonic() > deadline:
            redis = get_redis()
            if redis is not None:
                redis.delete(settings.CELERY_TASK_DEFAULT_QUEUE)
            pending.update(status=JobStatus.CANCELED)
            return
        time.sleep(0.2)
