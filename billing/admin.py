from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from djstripe.admin import admin as djstripe_admin
from djstripe.models import WebhookEventTrigger

from billing.models import Plan, PlanUsage
from billing.webhooks import webhook_trigger_replay


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "channel_limit",
        "upload_quota",
        "storage_limit_bytes",
        "requests_per_minute",
    )
    ordering = ("sort_order",)


@admin.register(PlanUsage)
class PlanUsageAdmin(admin.ModelAdmin):
    list_display = ("user", "period_start", "uploads", "updated_at")
    list_filter = ("period_start",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
    readonly_fields = ("user", "period_start", "uploads", "updated_at")


# dj-stripe registers its models (customers, subscriptions, prices, events, webhook triggers)
# itself; the trigger admin gains the replay of events whose processing failed.
admin.site.unregister(WebhookEventTrigger)


@admin.register(WebhookEventTrigger)
class WebhookEventTriggerAdmin(djstripe_admin.WebhookEventTriggerAdmin):
    actions = ["replay"]

    @admin.action(description="Replay the selected failed webhook events")
    def replay(self, request: HttpRequest, queryset: QuerySet[WebhookEventTrigger]) -> None:
        replayed = failed = 0
        for trigger in queryset.filter(valid=True, processed=False).order_by("pk"):
            if webhook_trigger_replay(trigger=trigger):
                replayed += 1
            else:
                failed += 1
        self.message_user(request, f"{replayed} replayed, {failed} failed again.")
