from django.contrib import admin

from billing.models import Plan


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
