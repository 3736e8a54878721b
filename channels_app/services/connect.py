"""Connecting a channel: manual listings (connect, edit), a podcast directory's listing of one
of the user's shows, and the entry point that picks the manual or the OAuth way per platform."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction

from accounts.models import User
from channels_app import selectors
from channels_app.models import Channel, ChannelStatus, GoogleProject
from channels_app.services.google_projects import google_projects_ensure_allowed
from channels_app.services.limits import channel_limit_ensure_room, user_lock
from channels_app.services.oauth import OAuthStart, channel_oauth_start
from core.errors import Conflict, InvalidInput
from podcasts import selectors as podcast_selectors
from podcasts.links import feed_url
from podcasts.models import Show
from providers.base import FeedDirectoryProvider, ManualProvider, OAuthProvider, Provider
from providers.registry import get_provider


def listing_id_normalize(provider: ManualProvider, value: str) -> str:
    if not value.strip():
        return ""
    try:
        return provider.normalize_listing_id(value)
    except ValueError as exc:
        raise InvalidInput(str(exc), code="invalid", attr="provider_channel_id") from exc


def _listing_meta(provider: ManualProvider, listing_id: str, show: Show | None) -> dict[str, Any]:
    """The channel's ``meta``: the directory's pages, and for a hosted show the feed to submit."""
    meta = provider.meta_for(listing_id)
    if show is not None:
        meta |= {"feed_url": feed_url(show.pk), "show_id": str(show.pk)}
    return meta


def channel_connect_manual(
    *,
    user: User,
    provider: ManualProvider,
    provider_channel_id: str = "",
    display_name: str = "",
    show: Show | None = None,
) -> Channel:
    """Record the creator's listing on a platform without an API (of ``show`` for a podcast
    directory that reads the feed Gateway hosts).

    Without a listing id the channel is PENDING (the creator submits the feed first and
    records the id later); with one it is ACTIVE. A show has one listing per directory.
    """
    listing_id = listing_id_normalize(provider, provider_channel_id)
    already = Conflict(
        f"This {provider.name} listing is already connected.", code="already_connected"
    )
    with transaction.atomic():
        locked_user = user_lock(user)
        same_platform = Channel.objects.filter(user=locked_user, platform=provider.platform)
        if listing_id and same_platform.filter(provider_channel_id=listing_id).exists():
            raise already
        if show is not None and same_platform.filter(show=show).exists():
            raise already
        channel_limit_ensure_room(locked_user)
        return Channel.objects.create(
            user=locked_user,
            platform=provider.platform,
            provider_channel_id=listing_id,
            display_name=display_name or (show.title if show else provider.name),
            status=ChannelStatus.ACTIVE if listing_id else ChannelStatus.PENDING,
            meta=_listing_meta(provider, listing_id, show),
            show=show,
        )


def _google_project_for_connect(
    *, user: User, provider: Provider, google_project_id: UUID | None
) -> GoogleProject | None:
    """The user's own project a consent goes through (Agency plan; another user's is 404)."""
    if google_project_id is None:
        return None
    if not (isinstance(provider, OAuthProvider) and provider.accepts_own_client):
        raise InvalidInput(
            f"{provider.name} cannot be connected through your own Google project.",
            code="invalid",
            attr="google_project_id",
        )
    google_projects_ensure_allowed(user)
    return selectors.google_project_get(user=user, project_id=google_project_id)


def channel_connect(
    *,
    user: User,
    platform: str,
    provider_channel_id: str = "",
    display_name: str = "",
    show_id: UUID | None = None,
    google_project_id: UUID | None = None,
) -> Channel | OAuthStart:
    """Connect a channel the way its platform allows: a manual listing (of one of the user's
    shows on a podcast directory), or an OAuth start (through one of the user's own Google
    projects with ``google_project_id``). Another user's show or project is 404."""
    provider = get_provider(platform)
    if show_id is not None and not isinstance(provider, FeedDirectoryProvider):
        raise InvalidInput(
            f"{provider.name} does not read podcast feeds; connect it without a show.",
            code="invalid",
            attr="show_id",
        )
    google_project = _google_project_for_connect(
        user=user, provider=provider, google_project_id=google_project_id
    )
    if isinstance(provider, OAuthProvider):
        return channel_oauth_start(user=user, provider=provider, google_project=google_project)
    if not isinstance(provider, ManualProvider):  # pragma: no cover - registry invariant
        raise TypeError(f"{platform} is neither an OAuth nor a manual platform")
    show = podcast_selectors.show_get(user=user, show_id=show_id) if show_id else None
    return channel_connect_manual(
        user=user,
        provider=provider,
        provider_channel_id=provider_channel_id,
        display_name=display_name,
        show=show,
    )


def channel_update(
    *, channel: Channel, display_name: str | None = None, provider_channel_id: str | None = None
) -> Channel:
    """Rename a channel, or record a directory listing's id (PENDING becomes ACTIVE)."""
    provider = get_provider(channel.platform)
    update_fields = ["updated_at"]
    if display_name is not None:
        channel.display_name = display_name
        update_fields.append("display_name")
    if provider_channel_id is not None:
        if not isinstance(provider, ManualProvider):
            raise InvalidInput(
                f"The {provider.name} account id comes from {provider.name} itself.",
                code="invalid",
                attr="provider_channel_id",
            )
        listing_id = listing_id_normalize(provider, provider_channel_id)
        channel.provider_channel_id = listing_id
        channel.status = ChannelStatus.ACTIVE if listing_id else ChannelStatus.PENDING
        channel.meta = {**channel.meta, **_listing_meta(provider, listing_id, channel.show)}
        if not listing_id:
            channel.meta.pop("listing_url", None)
        update_fields += ["provider_channel_id", "status", "meta"]
    try:
        with transaction.atomic():
            channel.save(update_fields=update_fields)
    except IntegrityError as exc:
        raise Conflict(
            f"This {provider.name} listing is already connected.", code="already_connected"
        ) from exc
    return channel
