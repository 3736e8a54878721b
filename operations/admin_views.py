"""The stats page of the admin (``/admin/stats/``, linked from the admin's index)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse

from channels_app.models import ChannelStatus
from operations.chart import jobs_chart
from operations.selectors import jobs_failed_recently, jobs_per_day, stats_summary


def stats_view(request: HttpRequest) -> TemplateResponse:
    """Every staff member may read it (viewers too); wrap it in ``admin.site.admin_view``."""
    context = {
        **admin.site.each_context(request),
        "title": "Stats",
        "summary": stats_summary(),
        "channel_statuses": ChannelStatus.values,
        "failed_jobs": jobs_failed_recently(),
        "chart": jobs_chart(jobs_per_day()),
    }
    return TemplateResponse(request, "admin/operations/stats.html", context)
