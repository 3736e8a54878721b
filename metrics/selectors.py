"""The figures of a user's account, read from the rows that hold them, in a fixed number of
queries however many jobs and channels the user has.

Uploads this month come from ``PlanUsage`` (the row the quota locks), never from counting jobs,
so the dashboard, the billing page and the quota always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from billing.models import Plan, PlanUsage
from billing.selectors import plan_of
from billing.services import month_start
from channels_app.models import Channel
from uploads.models import Job, JobStatus
from uploads.selectors import storage_used_bytes

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class AccountUsage:
    plan: Plan
    channels: int
    uploads: int
    period_start: date
    storage_bytes: int


@dataclass(frozen=True)
class JobCounts:
    queued: int
    running: int
    succeeded: int
    failed: int


def account_usage(*, user: User) -> AccountUsage:
    """Plan, channels, this month's uploads and stored bytes: two queries (three when the
    user has no plan set and the free plan is looked up)."""
    period = month_start()
    channels = (
        Channel.objects.filter(user=OuterRef("pk"))
        .order_by()
        .values("user")
        .annotate(n=Count("id"))
        .values("n")
    )
    uploads = PlanUsage.objects.filter(user=OuterRef("pk"), period_start=period).values("uploads")
    zero = Value(0, output_field=IntegerField())
    counts = (
        type(user)
        .objects.filter(pk=user.pk)
        .values(
            channel_count=Coalesce(Subquery(channels), zero),
            uploads_this_month=Coalesce(Subquery(uploads), zero),
        )
        .get()
    )
    return AccountUsage(
        plan=plan_of(user),
        channels=counts["channel_count"],
        uploads=counts["uploads_this_month"],
        period_start=period,
        storage_bytes=storage_used_bytes(user=user),
    )


def job_counts(*, user: User) -> JobCounts:
    """The user's jobs by status (one query, an index-only scan of ``job_user_status``)."""
    by_status = {
        name: Count("status", filter=Q(status=status))
        for name, status in (
            ("queued", JobStatus.QUEUED),
            ("running", JobStatus.RUNNING),
            ("succeeded", JobStatus.SUCCEEDED),
            ("failed", JobStatus.FAILED),
        )
    }
    return JobCounts(**Job.objects.filter(user=user).aggregate(**by_status))
