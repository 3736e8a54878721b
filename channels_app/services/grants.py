"""Stored OAuth grants: a refresh token is only ever stored encrypted, bound to its channel id.

Decrypting, replacing a rotated token, re-encrypting after a key rotation, marking a channel
whose grant the platform refused, and revoking a grant at its platform.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from channels_app.models import Channel, ChannelStatus
from core import crypto
from providers.base import OAuthProvider
from providers.errors import GrantRevokedError

logger = logging.getLogger(__name__)


def channel_grant_decrypt(channel: Channel) -> str:
    """The channel's refresh token in clear; ``DecryptionError`` when it was tampered with."""
    return crypto.decrypt(channel.refresh_token_encrypted, associated_data=str(channel.id))


def channel_grant_or_none(channel: Channel) -> str | None:
    """The grant in clear, or ``None`` when there is none or it no longer decrypts.

    A value that fails authentication (tampered, or sealed with a key no longer configured)
    is never used; it is logged as an error and the creator has to connect again.
    """
    if not channel.refresh_token_encrypted:
        return None
    try:
        return channel_grant_decrypt(channel)
    except crypto.DecryptionError:
        logger.error(
            "channel %s: stored grant does not decrypt; re-authorisation needed", channel.pk
        )
        return None


def channel_grant_for_upload(channel: Channel) -> str:
    """The refresh token an upload to ``channel`` runs with.

    Raises ``GrantRevokedError`` when there is no usable grant, so the upload pipeline fails
    the job and marks the channel NEEDS_REAUTH, as for a grant the platform revoked.
    """
    refresh_token = channel_grant_or_none(channel)
    if refresh_token is None:
        raise GrantRevokedError("The channel has no usable grant.", code="grant_revoked")
    return refresh_token


def channel_grant_replace(channel: Channel, refresh_token: str | None) -> None:
    """Keep a refresh token the platform issued in place of the stored one (rotation)."""
    if not refresh_token:
        return
    if refresh_token == channel_grant_or_none(channel):
        return
    channel.refresh_token_encrypted = crypto.encrypt(refresh_token, associated_data=str(channel.id))
    channel.save(update_fields=["refresh_token_encrypted", "updated_at"])


def channel_mark_needs_reauth(*, channel: Channel) -> None:
    """The platform refused the channel's grant: the creator must connect it again."""
    now = timezone.now()
    Channel.objects.of_owner(channel.user_id).filter(pk=channel.pk).update(
        status=ChannelStatus.NEEDS_REAUTH, updated_at=now
    )
    channel.status = ChannelStatus.NEEDS_REAUTH
    channel.updated_at = now


def grant_revoke(*, provider: OAuthProvider, refresh_token: str, subject: str) -> None:
    """Revoke a grant at its platform, best effort: never raises.

    Nothing is sent to a platform without a revocation endpoint or without a configured
    client; a refusal or silence is logged (``subject`` names the record, never the token).
    """
    if not provider.supports_revocation or not provider.is_configured():
        return
    if not provider.revoke(refresh_token=refresh_token):
        logger.warning("%s: grant not revoked at %s", subject, provider.name)


# --- key rotation ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ReencryptResult:
    reencrypted: int
    current: int
    failed: list[str]


def sealed_column_reencrypt(model: type[Model], column: str) -> ReencryptResult:
    """Seal every value of ``model.column`` (bound to its row id) with the current key.

    Each row is rewritten under its own row lock; running it twice changes nothing the second
    time. Rows that no configured key opens are left alone and listed in ``failed``.
    """
    reencrypted, current, failed = 0, 0, []
    candidates = model._default_manager.exclude(**{column: ""}).order_by("pk")
    for pk in list(candidates.values_list("pk", flat=True)):
        with transaction.atomic():
            row = model._default_manager.select_for_update().filter(pk=pk).first()
            sealed = getattr(row, column, "")
            if row is None or not sealed:
                continue
            if crypto.is_current(sealed):
                current += 1
                continue
            try:
                plain = crypto.decrypt(sealed, associated_data=str(pk))
            except crypto.DecryptionError:
                failed.append(str(pk))
                continue
            setattr(row, column, crypto.encrypt(plain, associated_data=str(pk)))
            row.save(update_fields=[column, "updated_at"])
            reencrypted += 1
    return ReencryptResult(reencrypted=reencrypted, current=current, failed=failed)


def channel_tokens_reencrypt() -> ReencryptResult:
    """Seal every stored refresh token with the current ``ENCRYPTION_KEY``.

    Run after moving the old key to ``ENCRYPTION_KEYS_OLD``; once it reports no failures, the
    old key can be dropped.
    """
    return sealed_column_reencrypt(Channel, "refresh_token_encrypted")
