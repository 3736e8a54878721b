from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.models import DELETION
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from channels_app.models import Channel, ChannelStatus, GoogleProject, OAuthFlow, OAuthState
from channels_app.services.disconnect import channel_disconnect
from channels_app.services.refresh import channel_refresh
from core.admin_base import (
    ChangedThroughActionsMixin,
    GatewayModelAdmin,
    OwnerColumnMixin,
    ReadOnlyAdminMixin,
    apply_per_object,
    pretty_json,
)


@admin.register(Channel)
class ChannelAdmin(ChangedThroughActionsMixin, OwnerColumnMixin, GatewayModelAdmin):
    list_display = (
        "__str__",
        "platform",
        "status",
        "owner",
        "provider_channel_id",
        "job_count",
        "connected_at",
        "last_refreshed_at",
    )
    list_filter = ("platform", "status")
    date_hierarchy = "connected_at"
    search_fields = ("display_name", "provider_channel_id", "user__email")
    list_select_related = ("user",)
    # The encrypted refresh token is never shown, not even sealed: it is in no field list.
    fields = (
        "id",
        "owner",
        "platform",
        "provider_channel_id",
        "display_name",
        "status",
        "google_project",
        "meta_readable",
        "connected_at",
        "last_refreshed_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ["refresh_selected", "disconnect_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Channel]:
        return super().get_queryset(request).annotate(job_total=Count("jobs"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # channels are connected by their owners (OAuth consent or listing id)

    def has_delete_permission(self, request: HttpRequest, obj: Channel | None = None) -> bool:
        return False  # a plain delete would skip revocation and leave queued jobs: disconnect

    def has_disconnect_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("channels_app.delete_channel")

    @admin.display(description="Jobs", ordering="job_total")
    def job_count(self, channel: Channel) -> int:
        return channel.job_total  # type: ignore[attr-defined]

    @admin.display(description="Meta")
    def meta_readable(self, channel: Channel) -> str:
        return pretty_json(channel.meta)

    # Refreshing calls the platform with the stored grant and may rotate it: "change" only.
    @admin.action(
        description="Refresh selected channels from their platforms", permissions=["change"]
    )
    def refresh_selected(self, request: HttpRequest, queryset: QuerySet[Channel]) -> None:
        not_active: list[Channel] = []

        def refresh(channel: Channel) -> None:
            refreshed = channel_refresh(channel=channel)
            if refreshed.status != ChannelStatus.ACTIVE:
                not_active.append(refreshed)

        apply_per_object(
            self,
            request,
            queryset.select_related("user"),
            refresh,
            done="Refreshed {count} channel(s).",
            log_message="Refreshed from the platform.",
        )
        for channel in not_active:
            self.message_user(request, f"{channel}: now {channel.status}.", messages.WARNING)

    @admin.action(
        description="Disconnect selected channels (revoke the grant, cancel queued jobs)",
        permissions=["disconnect"],
    )
    def disconnect_selected(self, request: HttpRequest, queryset: QuerySet[Channel]) -> None:
        apply_per_object(
            self,
            request,
            queryset.select_related("user"),
            lambda channel: channel_disconnect(channel=channel),
            done="Disconnected {count} channel(s).",
            log_message="Disconnected (grant revoked, queued jobs canceled).",
            action_flag=DELETION,
        )


@admin.register(OAuthState)
class OAuthStateAdmin(OwnerColumnMixin, ReadOnlyAdminMixin, GatewayModelAdmin):
    """Consents in flight. The nonce hash and the sealed PKCE verifier are never shown."""

    list_display = ("platform", "owner", "created_at", "expires_at", "used_at")
    list_filter = ("platform", ("used_at", admin.EmptyFieldListFilter))
    date_hierarchy = "created_at"
    search_fields = ("user__email",)
    list_select_related = ("user",)
    fields = ("id", "owner", "platform", "created_at", "expires_at", "used_at")
    readonly_fields = fields


@admin.register(OAuthFlow)
class OAuthFlowAdmin(OwnerColumnMixin, ReadOnlyAdminMixin, GatewayModelAdmin):
    """Consents waiting to be finished. The held grant is never shown, and none is deleted here:
    that would skip its revocation (the daily purge does both)."""

    list_display = ("platform", "owner", "created_at", "expires_at")
    list_filter = ("platform",)
    date_hierarchy = "created_at"
    search_fields = ("user__email",)
    list_select_related = ("user",)
    fields = ("id", "owner", "platform", "created_at", "expires_at")
    readonly_fields = fields


@admin.register(GoogleProject)
class GoogleProjectAdmin(ReadOnlyAdminMixin, GatewayModelAdmin):
    """Creators' own Google projects, read-only: their owners manage them through the API.
    The client secret is never shown, not even sealed: it is in no field list."""

    list_display = ("name", "owner", "client_id", "channel_count", "daily_uploads", "daily_units")
    search_fields = ("name", "client_id", "owner__email")
    date_hierarchy = "created_at"
    list_select_related = ("owner",)
    fields = (
        "id",
        "name",
        "owner",
        "client_id",
        "daily_uploads",
        "daily_units",
        "channel_count",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[GoogleProject]:
        return super().get_queryset(request).annotate(channel_total=Count("channels"))

    @admin.display(description="Channels", ordering="channel_total")
    def channel_count(self, project: GoogleProject) -> int:
        return project.channel_total  # type: ignore[attr-defined]
