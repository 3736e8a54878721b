from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from djstripe.admin import admin as djstripe_admin
from djstripe.models import WebhookEventTrigger

from billing.models import Plan, PlanUsage
from billing.webhooks import webhook_trigger_replay
from core.admin_base import (
    GatewayModelAdmin,
    OwnerColumnMixin,
    ReadOnlyAdminMixin,
    apply_per_object,
)
from core.errors import Conflict


def _limit(value: int | None) -> str:
    return "unlimited" if value is None else str(value)


@admin.register(Plan)
class PlanAdmin(GatewayModelAdmin):
    list_display = (
        "code",
        "name",
        "channel_limit",
        "uploads_a_month",
        "storage",
        "requests_per_minute",
        "user_count",
    )
    search_fields = ("code", "name")
    ordering = ("sort_order",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Plan]:
        return super().get_queryset(request).annotate(user_total=Count("users"))

    def get_readonly_fields(self, request: HttpRequest, obj: Plan | None = None) -> tuple:
        # The code is what seed_plans, billing and the API ("plan": "pro") refer to.
        return ("code",) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Plan | None = None) -> bool:
        return False  # users point at their plan (PROTECT); plans are retired, not deleted

    @admin.display(description="Uploads a month", ordering="upload_quota")
    def uploads_a_month(self, plan: Plan) -> str:
        return _limit(plan.upload_quota)

    @admin.display(description="Storage", ordering="storage_limit_bytes")
    def storage(self, plan: Plan) -> str:
        if plan.storage_limit_bytes is None:
            return "unlimited"
        return filesizeformat(plan.storage_limit_bytes)

    @admin.display(description="Users", ordering="user_total")
    def user_count(self, plan: Plan) -> int:
        return plan.user_total  # type: ignore[attr-defined]


@admin.register(PlanUsage)
class PlanUsageAdmin(OwnerColumnMixin, ReadOnlyAdminMixin, GatewayModelAdmin):
    """Counters the upload pipeline keeps under a lock: never edited by hand."""

    list_display = ("owner", "plan", "period_start", "uploads", "quota", "updated_at")
    list_filter = ("period_start", "user__plan")
    date_hierarchy = "period_start"
    search_fields = ("user__email",)
    list_select_related = ("user__plan",)
    fields = ("owner", "plan", "period_start", "uploads", "quota", "updated_at")
    readonly_fields = fields

    @admin.display(description="Plan", ordering="user__plan__sort_order")
    def plan(self, usage: PlanUsage) -> str:
        return str(usage.user.plan or "-")

    @admin.display(description="Quota")
    def quota(self, usage: PlanUsage) -> str:
        if usage.user.plan is None:
            return "-"
        return _limit(usage.user.plan.upload_quota)


# dj-stripe registers its models (customers, subscriptions, prices, events, webhook triggers)
# itself; the trigger admin gains the replay of events whose processing failed.
admin.site.unregister(WebhookEventTrigger)


def _no_actions(request: HttpRequest) -> dict:
    return {}


# dj-stripe's own actions (re-sync, cancel a subscription) call Stripe for the selected rows
# and declare no permission, so a viewer could run them; operators sync with
# `manage.py djstripe_sync_models` and cancel in Stripe's dashboard.
for _model, _model_admin in admin.site._registry.items():
    if _model._meta.app_label == "djstripe":
        _model_admin.actions = []
        _model_admin.get_actions = _no_actions  # type: ignore[method-assign]


@admin.register(WebhookEventTrigger)
class WebhookEventTriggerAdmin(djstripe_admin.WebhookEventTriggerAdmin):
    actions = ["replay"]

    @admin.action(description="Replay the selected failed webhook events", permissions=["replay"])
    def replay(self, request: HttpRequest, queryset: QuerySet[WebhookEventTrigger]) -> None:
        def replay_one(trigger: WebhookEventTrigger) -> None:
            if not webhook_trigger_replay(trigger=trigger):
                raise Conflict("Processing failed again.", code="replay_failed")

        apply_per_object(
            self,
            request,
            queryset.filter(valid=True, processed=False).order_by("pk"),
            replay_one,
            done="Replayed {count} webhook event(s).",
            log_message="Replayed the Stripe event.",
        )

    def has_replay_permission(self, request: HttpRequest) -> bool:
        """dj-stripe's trigger pages are read-only; replaying is an operator's change."""
        return request.user.has_perm("djstripe.change_webhookeventtrigger")
