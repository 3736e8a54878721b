from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat

from core.admin_base import (
    ChangedThroughActionsMixin,
    GatewayModelAdmin,
    OwnerColumnMixin,
    ReadOnlyAdminMixin,
    apply_per_object,
    change_link,
    pretty_json,
)
from uploads.models import Job, StoredAsset
from uploads.services.jobs import job_cancel, job_retry


@admin.register(Job)
class JobAdmin(ChangedThroughActionsMixin, OwnerColumnMixin, GatewayModelAdmin):
    list_display = (
        "title",
        "owner",
        "platform",
        "status",
        "progress",
        "attempts",
        "error_code",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "platform")
    date_hierarchy = "created_at"
    search_fields = ("=id", "title", "user__email")
    list_select_related = ("user", "channel")
    actions = ["retry_jobs", "cancel_jobs"]
    fieldsets = (
        (None, {"fields": ("id", "owner", "channel_link", "platform", "title", "description")}),
        ("State", {"fields": ("status", "progress", "attempts", "error_readable")}),
        ("Result", {"fields": ("result_readable",)}),
        (
            "Timing",
            {"fields": ("scheduled_at", "run_after", "created_at", "started_at", "finished_at")},
        ),
        ("Request", {"fields": ("asset_url", "idempotency_key", "quota_period")}),
    )
    # The state machine belongs to the services: the admin reads, and acts through actions.
    # The platform's resumable session URL is a credential for the upload: never shown.
    readonly_fields = (
        "id",
        "owner",
        "channel_link",
        "platform",
        "title",
        "description",
        "status",
        "progress",
        "attempts",
        "error_readable",
        "result_readable",
        "scheduled_at",
        "run_after",
        "created_at",
        "started_at",
        "finished_at",
        "asset_url",
        "idempotency_key",
        "quota_period",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # jobs come from the API, which checks channel, plan and asset

    def has_delete_permission(self, request: HttpRequest, obj: Job | None = None) -> bool:
        return False  # a deleted job would keep its quota slot: cancel it instead

    @admin.display(description="Channel")
    def channel_link(self, job: Job) -> str:
        if job.channel is None:
            return "- (disconnected)"
        return change_link("channels_app_channel", job.channel_id, job.channel)

    @admin.display(description="Error")
    def error_code(self, job: Job) -> str:
        return (job.error or {}).get("code", "")

    @admin.display(description="Error")
    def error_readable(self, job: Job) -> str:
        return pretty_json(job.error)

    @admin.display(description="Platform's result")
    def result_readable(self, job: Job) -> str:
        return pretty_json(job.result)

    @admin.action(description="Retry the selected failed jobs", permissions=["change"])
    def retry_jobs(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        apply_per_object(
            self,
            request,
            queryset.select_related("user", "channel"),
            lambda job: job_retry(job=job),
            done="{count} job(s) queued again.",
            log_message="Retried (queued again).",
        )

    @admin.action(description="Cancel the selected queued jobs", permissions=["change"])
    def cancel_jobs(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        apply_per_object(
            self,
            request,
            queryset.select_related("user"),
            lambda job: job_cancel(job=job),
            done="{count} job(s) canceled.",
            log_message="Canceled.",
        )


@admin.register(StoredAsset)
class StoredAssetAdmin(OwnerColumnMixin, ReadOnlyAdminMixin, GatewayModelAdmin):
    list_display = ("filename", "owner", "content_type", "size", "created_at", "uploaded_at")
    list_filter = ("content_type", ("uploaded_at", admin.EmptyFieldListFilter))
    date_hierarchy = "created_at"
    search_fields = ("key", "filename", "user__email")
    list_select_related = ("user",)
    readonly_fields = [field.name for field in StoredAsset._meta.fields]

    @admin.display(description="Size", ordering="size_bytes")
    def size(self, asset: StoredAsset) -> str:
        return filesizeformat(asset.size_bytes)
