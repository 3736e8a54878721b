from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from core.errors import ApplicationError
from uploads.models import Job, StoredAsset
from uploads.services.jobs import job_cancel, job_retry


def _apply(modeladmin: admin.ModelAdmin, request: HttpRequest, jobs: QuerySet[Job], action) -> None:
    done = 0
    for job in jobs.select_related("user"):
        try:
            action(job=job)
            done += 1
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{job.pk}: {exc.message}", messages.WARNING)
    if done:
        modeladmin.message_user(request, f"{done} job(s) updated.", messages.SUCCESS)


@admin.action(description="Retry the selected failed jobs", permissions=["change"])
def retry_jobs(modeladmin: admin.ModelAdmin, request: HttpRequest, jobs: QuerySet[Job]) -> None:
    _apply(modeladmin, request, jobs, job_retry)


@admin.action(description="Cancel the selected queued jobs", permissions=["change"])
def cancel_jobs(modeladmin: admin.ModelAdmin, request: HttpRequest, jobs: QuerySet[Job]) -> None:
    _apply(modeladmin, request, jobs, job_cancel)


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "user",
        "platform",
        "title",
        "status",
        "progress",
        "attempts",
        "scheduled_at",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "platform")
    search_fields = ("id", "title", "user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user", "channel")
    actions = [retry_jobs, cancel_jobs]
    # The state machine belongs to the services: the admin reads, and acts through actions.
    readonly_fields = [field.name for field in Job._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(StoredAsset)
class StoredAssetAdmin(admin.ModelAdmin):
    list_display = ("key", "user", "content_type", "size_bytes", "created_at", "uploaded_at")
    search_fields = ("key", "user__email")
    list_select_related = ("user",)
    readonly_fields = [field.name for field in StoredAsset._meta.fields]
