from __future__ import annotations

from django.contrib import admin

from core.admin_base import GatewayModelAdmin, ReadOnlyAdminMixin
from quotas.models import QuotaLedger


@admin.register(QuotaLedger)
class QuotaLedgerAdmin(ReadOnlyAdminMixin, GatewayModelAdmin):
    """Each platform project's spend per quota day, against the budget it was charged under."""

    list_display = ("project_key", "day", "uploads", "units", "updated_at")
    list_filter = ("project_key",)
    date_hierarchy = "day"
    search_fields = ("project_key",)
    fields = ("project_key", "day", "uploads", "units", "updated_at")
    readonly_fields = fields

    @admin.display(description="uploads spent / budget", ordering="uploads_spent")
    def uploads(self, ledger: QuotaLedger) -> str:
        return f"{ledger.uploads_spent} / {ledger.uploads_budget}"

    @admin.display(description="units spent / budget", ordering="units_spent")
    def units(self, ledger: QuotaLedger) -> str:
        return f"{ledger.units_spent} / {ledger.units_budget}"
