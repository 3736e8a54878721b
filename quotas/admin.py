from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin_base import GatewayModelAdmin, ReadOnlyAdminMixin
from quotas.models import QuotaLedger


class LedgerKindFilter(admin.SimpleListFilter):
    """Projects' rows apart from creators' shares of a project."""

    title = "ledger"
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("project", "Projects"), ("share", "Creators' shares")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "project":
            return queryset.filter(share_of="")
        if self.value() == "share":
            return queryset.exclude(share_of="")
        return queryset


@admin.register(QuotaLedger)
class QuotaLedgerAdmin(ReadOnlyAdminMixin, GatewayModelAdmin):
    """Each platform project's spend per quota day, against the budget it was charged under,
    and each creator's spend of their daily share of a shared project."""

    list_display = ("project_key", "day", "kind", "uploads", "units", "updated_at")
    list_filter = (LedgerKindFilter,)
    date_hierarchy = "day"
    search_fields = ("project_key", "share_of")
    fields = ("project_key", "day", "kind", "uploads", "units", "updated_at")
    readonly_fields = fields

    @admin.display(description="ledger", ordering="share_of")
    def kind(self, ledger: QuotaLedger) -> str:
        return f"creator's share of {ledger.share_of}" if ledger.share_of else "project"

    @admin.display(description="uploads spent / budget", ordering="uploads_spent")
    def uploads(self, ledger: QuotaLedger) -> str:
        return f"{ledger.uploads_spent} / {ledger.uploads_budget}"

    @admin.display(description="units spent / budget", ordering="units_spent")
    def units(self, ledger: QuotaLedger) -> str:
        # A share caps uploads only; its calls' units are the project's.
        return "—" if ledger.share_of else f"{ledger.units_spent} / {ledger.units_budget}"
