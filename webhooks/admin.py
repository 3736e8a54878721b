from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import deliveries_redeliver, endpoints_enable


@admin.action(description="Redeliver the selected deliveries", permissions=["change"])
def redeliver(
    modeladmin: admin.ModelAdmin, request: HttpRequest, deliveries: QuerySet[WebhookDelivery]
) -> None:
    selected = list(deliveries)
    queued = deliveries_redeliver(deliveries=selected)
    modeladmin.message_user(request, f"{queued} delivery(ies) queued again.", messages.SUCCESS)
    if queued < len(selected):
        modeladmin.message_user(
            request,
            f"{len(selected) - queued} skipped: their endpoint is disabled.",
            messages.WARNING,
        )


@admin.action(description="Enable the selected endpoints again", permissions=["change"])
def enable(
    modeladmin: admin.ModelAdmin, request: HttpRequest, endpoints: QuerySet[WebhookEndpoint]
) -> None:
    enabled = endpoints_enable(endpoints=endpoints)
    modeladmin.message_user(request, f"{enabled} endpoint(s) enabled again.", messages.SUCCESS)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    actions = [enable]
    list_display = ("url", "owner", "enabled", "failing_since", "created_at", "disabled_at")
    list_filter = ("enabled",)
    search_fields = ("id", "url", "owner__email")
    list_select_related = ("owner",)
    # The secret never appears: it is not among the fields shown.
    fields = (
        "id",
        "owner",
        "url",
        "description",
        "enabled",
        "created_at",
        "disabled_at",
        "failing_since",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "message_id",
        "endpoint",
        "event_type",
        "job_id",
        "sequence",
        "status",
        "attempts",
        "last_status",
        "created_at",
        "delivered_at",
        "next_attempt_at",
    )
    list_filter = ("status", "event_type")
    search_fields = ("message_id", "job_id", "endpoint__url", "endpoint__owner__email")
    list_select_related = ("endpoint",)
    actions = [redeliver]
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
