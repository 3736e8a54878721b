"""The operators' figures, each one aggregate query whatever the size of the tables."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import User
from channels_app.models import Channel, ChannelStatus
from core.health import health_check
from providers.platforms import Platform
from uploads.models import Job, JobStatus

RECENT_FAILURES_SHOWN = 50


@dataclass(frozen=True)
class PlanCount:
    plan: str
    users: int


@dataclass(frozen=True)
class PlatformChannels:
    platform: str
    by_status: dict[str, int]  # every ChannelStatus, zeros included

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass(frozen=True)
class JobStatusCount:
    status: str
    total: int
    this_month: int
    today: int


@dataclass(frozen=True)
class StatsSummary:
    users_by_plan: list[PlanCount]
    channels_by_platform: list[PlatformChannels]
    jobs_by_status: list[JobStatusCount]  # every JobStatus, in the order of JobStatus
    queue_depth: int
    queue: str  # "connected", "unavailable" or "not_configured" (embedded mode)

    @property
    def users(self) -> int:
        return sum(row.users for row in self.users_by_plan)

    @property
    def channels(self) -> int:
        return sum(row.total for row in self.channels_by_platform)


@dataclass(frozen=True)
class DayOutcomes:
    day: date
    succeeded: int = 0
    failed: int = 0
    canceled: int = 0
    in_progress: int = 0  # still QUEUED or RUNNING

    @property
    def total(self) -> int:
        return self.succeeded + self.failed + self.canceled + self.in_progress


def _day_start(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def stats_summary(*, now: datetime | None = None) -> StatsSummary:
    """Users by plan, channels by platform and status, jobs by status (all time, this month
    and today, by creation in UTC), and the depth of the task queue. Four queries."""
    now = now or timezone.now()
    today = _day_start(now)
    month = today.replace(day=1)

    plans = (
        User.objects.values("plan__name", "plan__sort_order")
        .annotate(n=Count("pk"))
        .order_by("plan__sort_order", "plan__name")
    )
    users_by_plan = [PlanCount(row["plan__name"] or "(no plan: free)", row["n"]) for row in plans]

    channel_counts: dict[str, dict[str, int]] = defaultdict(dict)
    for row in Channel.objects.values("platform", "status").annotate(n=Count("pk")).order_by():
        channel_counts[row["platform"]][row["status"]] = row["n"]
    channels_by_platform = [
        PlatformChannels(
            platform=Platform(platform).label,
            by_status={status: counts.get(status, 0) for status in ChannelStatus.values},
        )
        for platform, counts in sorted(channel_counts.items())
    ]

    no_jobs = {"total": 0, "this_month": 0, "today": 0}
    job_rows: dict[str, Any] = {
        row["status"]: row
        for row in Job.objects.values("status")
        .annotate(
            total=Count("pk"),
            this_month=Count("pk", filter=Q(created_at__gte=month)),
            today=Count("pk", filter=Q(created_at__gte=today)),
        )
        .order_by()
    }
    jobs_by_status = []
    for status in JobStatus.values:
        counts = job_rows.get(status, no_jobs)
        jobs_by_status.append(
            JobStatusCount(
                status=status,
                total=counts["total"],
                this_month=counts["this_month"],
                today=counts["today"],
            )
        )

    health = health_check()
    return StatsSummary(
        users_by_plan=users_by_plan,
        channels_by_platform=channels_by_platform,
        jobs_by_status=jobs_by_status,
        queue_depth=health.queue_depth,
        queue=health.redis,
    )


def jobs_failed_recently(*, now: datetime | None = None, hours: int = 24) -> list[Job]:
    """The latest jobs that ended FAILED in the last ``hours``, with their users. One query."""
    since = (now or timezone.now()) - timedelta(hours=hours)
    return list(
        Job.objects.filter(status=JobStatus.FAILED, finished_at__gte=since)
        .select_related("user")
        .only("id", "title", "platform", "error", "finished_at", "user__email")
        .order_by("-finished_at")[:RECENT_FAILURES_SHOWN]
    )


_OUTCOME = {
    JobStatus.SUCCEEDED: "succeeded",
    JobStatus.FAILED: "failed",
    JobStatus.CANCELED: "canceled",
    JobStatus.QUEUED: "in_progress",
    JobStatus.RUNNING: "in_progress",
}


def jobs_per_day(*, now: datetime | None = None, days: int = 30) -> list[DayOutcomes]:
    """Jobs created on each of the last ``days`` UTC days (today included), by how they
    ended. Days without jobs are present with zeros. One query."""
    today = _day_start(now or timezone.now())
    first = today - timedelta(days=days - 1)
    counts: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = (
        Job.objects.filter(created_at__gte=first)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        counts[row["day"]][_OUTCOME[JobStatus(row["status"])]] += row["n"]
    return [
        DayOutcomes(day=day, **counts.get(day, {}))
        for day in (first.date() + timedelta(days=offset) for offset in range(days))
    ]
