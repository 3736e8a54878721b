from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from channels_app.models import Channel, OAuthFlow
from channels_app.services.refresh import channel_refresh
from core.errors import ApplicationError


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = [
        "display_name",
        "platform",
        "status",
        "user",
        "provider_channel_id",
        "connected_at",
        "last_refreshed_at",
    ]
    list_filter = ["platform", "status"]
    search_fields = ["display_name", "provider_channel_id", "user__email"]
    list_select_related = ["user"]
    # The encrypted refresh token is never shown, not even sealed.
    exclude = ["refresh_token_encrypted"]
    readonly_fields = [
        "id",
        "user",
        "platform",
        "provider_channel_id",
        "status",
        "meta",
        "connected_at",
        "last_refreshed_at",
        "updated_at",
    ]
    actions = ["refresh_selected"]

    @admin.action(description="Refresh selected channels from their platforms")
    def refresh_selected(self, request: HttpRequest, queryset: QuerySet[Channel]) -> None:
        refreshed, failed = 0, 0
        for channel in queryset:
            try:
                channel_refresh(channel=channel)
            except ApplicationError:
                failed += 1
            else:
                refreshed += 1
        self.message_user(request, f"Refreshed {refreshed} channels.", messages.SUCCESS)
        if failed:
            self.message_user(
                request, f"{failed} channels could not be refreshed.", messages.WARNING
            )


@admin.register(OAuthFlow)
class OAuthFlowAdmin(admin.ModelAdmin):
    """Consents waiting to be finished, read-only: the held grant is never shown, and
    deleting one here would skip its revocation (the daily purge does both)."""

    list_display = ["platform", "user", "created_at", "expires_at"]
    list_filter = ["platform"]
    list_select_related = ["user"]
    fields = ["id", "user", "platform", "created_at", "expires_at"]
    readonly_fields = ["id", "user", "platform", "created_at", "expires_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OAuthFlow | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OAuthFlow | None = None) -> bool:
        return False
