"""Reading a channel's account (name, picture, figures) from its platform now."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from channels_app.errors import GoogleProjectUnusable, ProviderUnavailable, provider_not_configured
from channels_app.models import Channel, ChannelStatus
from channels_app.services.google_projects import oauth_provider_for
from channels_app.services.grants import channel_grant_or_none, channel_grant_replace
from channels_app.services.quota_calls import channel_call_charger
from core.errors import NotFound
from providers.base import OAuthProvider
from providers.errors import (
    GrantRevokedError,
    ProviderError,
    QuotaExhaustedError,
    TransientProviderError,
)
from providers.registry import get_provider

logger = logging.getLogger(__name__)


def _channel_refused(channel: Channel, exc: ProviderError) -> Channel:
    """The platform (or the channel's own client) refused for good: ERROR, with the reason."""
    logger.warning("channel %s: refresh refused: %s", channel.pk, exc.code)
    channel.status = ChannelStatus.ERROR
    channel.meta = {**channel.meta, "error": {"code": exc.code, "message": exc.message}}
    channel.save(update_fields=["status", "meta", "updated_at"])
    return channel


def channel_refresh(*, channel: Channel) -> Channel:
    """Read the channel's current name, picture and figures from its platform.

    A revoked grant is not an error for the caller: the channel comes back NEEDS_REAUTH.
    The channel row stays locked during the call (bounded by ``PROVIDER_HTTP_TIMEOUT``):
    platforms with single-use refresh tokens must never see two refreshes of one grant.
    """
    platform = get_provider(channel.platform)
    now = timezone.now()
    if not isinstance(platform, OAuthProvider):
        # A listing on a directory has nothing to read back; the refresh is a touch.
        Channel.objects.of_owner(channel.user_id).filter(pk=channel.pk).update(
            last_refreshed_at=now, updated_at=now
        )
        channel.last_refreshed_at = now
        return channel
    with transaction.atomic():
        try:
            channel = (
                Channel.objects.select_for_update(of=("self",))
                .select_related("google_project")
                .get(pk=channel.pk)
            )
        except Channel.DoesNotExist as exc:
            raise NotFound("No such channel.", code="not_found") from exc
        try:
            # The client that obtained the grant (the creator's own project, or the server's).
            provider = oauth_provider_for(
                platform=channel.platform, google_project=channel.google_project
            )
        except GoogleProjectUnusable as exc:
            return _channel_refused(channel, exc)
        if not provider.is_configured():
            raise provider_not_configured(provider)
        refresh_token = channel_grant_or_none(channel)
        if refresh_token is None:
            channel.status = ChannelStatus.NEEDS_REAUTH
            channel.save(update_fields=["status", "updated_at"])
            return channel
        try:
            account = provider.fetch_account(
                refresh_token=refresh_token,
                before_call=channel_call_charger(channel=channel, provider=provider),
            )
        except ProviderError as exc:
            # The platform may have traded a single-use refresh token before failing.
            channel_grant_replace(channel, exc.rotated_refresh_token)
            if isinstance(exc, GrantRevokedError):
                channel.status = ChannelStatus.NEEDS_REAUTH
                channel.save(update_fields=["status", "updated_at"])
                return channel
            if not isinstance(exc, TransientProviderError):
                return _channel_refused(channel, exc)
            unavailable = exc
        else:
            channel.display_name = account.display_name[:200]
            channel.meta = account.meta
            channel.status = ChannelStatus.ACTIVE
            channel.last_refreshed_at = timezone.now()
            channel.save(
                update_fields=["display_name", "meta", "status", "last_refreshed_at", "updated_at"]
            )
            channel_grant_replace(channel, account.refresh_token)
            return channel
    # Raised after the commit, so a rotated token stored above survives the 503.
    message = f"{provider.name} did not answer; try again later."
    if isinstance(unavailable, QuotaExhaustedError):
        message = f"{unavailable.message} Try again after midnight Pacific time."
    raise ProviderUnavailable(message) from unavailable
