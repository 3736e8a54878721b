"""Consents held until the account that started them finishes them (docs/api.md, "Platforms and
channels").

The OAuth callback is reached by whichever browser approved the consent, and a consent link
can be forwarded: an attacker starts a connect, sends the consent URL to a victim, the victim
approves. So the callback connects nothing; it holds the exchanged result as an
:class:`OAuthFlow` and the frontend finishes it under its own bearer token. Only the starting
account may finish it; any other account destroys it and its grant is revoked at the platform.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from channels_app.errors import GoogleProjectUnusable
from channels_app.models import Channel, ChannelStatus, GoogleProject, OAuthFlow
from channels_app.services.google_projects import google_project_lock, oauth_provider_for
from channels_app.services.grants import grant_revoke
from channels_app.services.limits import channel_limit_ensure_room, user_lock
from core import crypto
from core.errors import ApplicationError, Conflict, NotFound
from providers.base import AccountSnapshot, OAuthProvider
from providers.registry import get_provider

logger = logging.getLogger(__name__)
security_logger = logging.getLogger("gateway.security")


def _flow_hash(flow: str) -> str:
    return hashlib.sha256(flow.encode()).hexdigest()


def _account_ad(pending: OAuthFlow) -> str:
    return f"oauth-flow:{pending.id}"


def _account_seal(pending: OAuthFlow, account: AccountSnapshot) -> str:
    plain = json.dumps(
        {
            "provider_channel_id": account.provider_channel_id,
            "display_name": account.display_name,
            "meta": account.meta,
            "refresh_token": account.refresh_token,
        }
    )
    return crypto.encrypt(plain, associated_data=_account_ad(pending))


def _account_open(pending: OAuthFlow) -> AccountSnapshot | None:
    """The held account and grant, or ``None`` when the value no longer decrypts."""
    try:
        plain = crypto.decrypt(pending.account_encrypted, associated_data=_account_ad(pending))
    except crypto.DecryptionError:
        logger.error("oauth flow %s: held grant does not decrypt", pending.pk)
        return None
    return AccountSnapshot(**json.loads(plain))


def oauth_flow_hold(
    *,
    user: User,
    provider: OAuthProvider,
    account: AccountSnapshot,
    google_project: GoogleProject | None = None,
) -> str | None:
    """Hold an exchanged consent for ``user`` until ``OAUTH_STATE_TTL``; returns the flow id.

    The flow id is 256 random bits; only its hash is stored. ``google_project`` is the user's
    own project whose client obtained the grant; ``None`` is returned when it was deleted
    meanwhile (nothing held: the project's row lock orders this with its deletion).
    """
    flow = secrets.token_urlsafe(32)
    now = timezone.now()
    pending = OAuthFlow(
        user=user,
        platform=provider.platform,
        google_project=google_project,
        flow_hash=_flow_hash(flow),
        created_at=now,
        expires_at=now + settings.OAUTH_STATE_TTL,
    )
    pending.account_encrypted = _account_seal(pending, account)
    with transaction.atomic():
        if google_project is not None and not google_project_lock(google_project):
            return None
        pending.save(force_insert=True)
    return flow


def _store_grant(*, pending: OAuthFlow, account: AccountSnapshot) -> Channel:
    """Create the channel for a fresh grant, or re-authorise the user's channel that lost it.

    Raises ``already_connected`` when the account is connected and working, and
    ``plan_limit_reached`` when a new channel would pass the plan's limit (counted under the
    user's row lock).
    """
    if not account.refresh_token:  # pragma: no cover - the callback holds none without one
        raise ValueError("a held consent always has a refresh token")
    provider = get_provider(pending.platform)
    with transaction.atomic():
        locked_user = user_lock(pending.user)
        channel = (
            Channel.objects.select_for_update()
            .filter(
                user=locked_user,
                platform=provider.platform,
                provider_channel_id=account.provider_channel_id,
            )
            .first()
        )
        if channel is None:
            channel_limit_ensure_room(locked_user)
            channel = Channel(
                user=locked_user,
                platform=provider.platform,
                provider_channel_id=account.provider_channel_id,
            )
        elif channel.status in (ChannelStatus.ACTIVE, ChannelStatus.PENDING):
            raise Conflict(
                f"This {provider.name} account is already connected.", code="already_connected"
            )
        channel.refresh_token_encrypted = crypto.encrypt(
            account.refresh_token, associated_data=str(channel.id)
        )
        # The grant belongs to the client that obtained it: a re-consent moves the channel.
        channel.google_project_id = pending.google_project_id
        channel.display_name = account.display_name[:200]
        channel.meta = account.meta
        channel.status = ChannelStatus.ACTIVE
        channel.last_refreshed_at = timezone.now()
        channel.save()
        return channel


def _held_grant_revoke(*, pending: OAuthFlow, account: AccountSnapshot | None) -> None:
    """Revoke a destroyed flow's grant at its platform, as the client that obtained it (best
    effort; never raises)."""
    if account is None or not account.refresh_token:
        return
    try:
        provider = oauth_provider_for(
            platform=pending.platform, google_project=pending.google_project
        )
    except GoogleProjectUnusable:
        return  # logged; the grant expires unused at Google
    grant_revoke(
        provider=provider, refresh_token=account.refresh_token, subject=f"oauth flow {pending.pk}"
    )


def oauth_flow_finish(*, user: User, flow: str) -> Channel:
    """Connect the channel of a held consent; only the account that started it may.

    - Another account: ``not_found``, and the flow is destroyed with its grant revoked at the
      platform (best effort), because that account may be the one the starter tricked into
      approving; the starter cannot finish it afterwards either.
    - Unknown, used or expired flow: ``not_found``.
    - ``plan_limit_reached`` changes nothing: the starter may free a slot and finish before
      the flow expires.
    - ``already_connected`` destroys the flow. Its grant is revoked only when the connected
      channel lives on another OAuth client (the server's or one of the creator's projects):
      a second grant of the same client and account is left alone, since Google's revocation
      would end the working connection's access too.

    Two finishes of one flow at once are serialised by the flow's row lock (taken before the
    user's): the second finds it gone.
    """
    not_found = NotFound("No such connection in progress.", code="not_found")
    with transaction.atomic():
        pending = (
            OAuthFlow.objects.select_for_update(of=("self",))
            .select_related("user", "google_project")
            .filter(flow_hash=_flow_hash(flow), expires_at__gt=timezone.now())
            .first()
        )
        if pending is None:
            raise not_found
        account = _account_open(pending)
        foreign = pending.user_id != user.pk
        outcome: Channel | ApplicationError = not_found
        if not foreign and account is not None:
            try:
                outcome = _store_grant(pending=pending, account=account)
            except Conflict as exc:
                outcome = exc
        OAuthFlow.objects.filter(pk=pending.pk).delete()
    if isinstance(outcome, Channel):
        return outcome
    if isinstance(outcome, Conflict) and not _connected_through_its_client(pending, account):
        _held_grant_revoke(pending=pending, account=account)  # a spare grant of another client
    if foreign:
        security_logger.warning(
            "oauth consent finished by another account: destroyed",
            extra={
                "event": "oauth_flow_foreign_finish",
                "user_id": str(user.pk),
                "starter_id": str(pending.user_id),
                "platform": pending.platform,
            },
        )
        _held_grant_revoke(pending=pending, account=account)
    raise outcome


def oauth_flows_purge() -> int:
    """Destroy the held consents that expired, revoking their grants (best effort).

    A grant is not revoked when its starter has that platform account connected through the
    same client: it would be a second grant of a working connection (see
    :func:`oauth_flow_finish`). Returns how many flows were destroyed.
    """
    destroyed = 0
    expired = (
        OAuthFlow.objects.filter(expires_at__lte=timezone.now())
        .select_related("google_project")
        .order_by("pk")
    )
    for pending in expired:
        # Conditional DELETE: of two purges (or a purge and a late finish) one destroys it.
        if OAuthFlow.objects.filter(pk=pending.pk).delete()[0] != 1:
            continue
        destroyed += 1
        account = _account_open(pending)
        if not _connected_through_its_client(pending, account):
            _held_grant_revoke(pending=pending, account=account)
    return destroyed


def _connected_through_its_client(pending: OAuthFlow, account: AccountSnapshot | None) -> bool:
    """The flow's starter has its platform account connected through the OAuth client that
    obtained the flow's grant: revoking that grant would end the connection's access too."""
    return account is not None and (
        Channel.objects.filter(
            user_id=pending.user_id,
            platform=pending.platform,
            provider_channel_id=account.provider_channel_id,
            google_project_id=pending.google_project_id,
        ).exists()
    )
