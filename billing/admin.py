from django.contrib import admin

from billing.models import Plan, PlanUsage


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
