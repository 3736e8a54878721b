"""Writes on channels: connect (manual or OAuth), refresh, edit, disconnect, re-encrypt.

Two rules every connect path shares: the plan's channel limit is checked with the user's row
locked (``SELECT ... FOR UPDATE``), so two concurrent connects at the limit cannot both win;
and a refresh token is only ever stored encrypted, bound to its channel id.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from google.oauth2.credentials import Credentials

from accounts.models import User
from channels_app.models import Channel, ChannelStatus, OAuthState
from channels_app.selectors import channel_limit_for, channels_stale
from core import crypto
from core.errors import (
    ApplicationError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    ServiceUnavailable,
)
from core.tasks import enqueue
from providers.base import AccountSnapshot, ManualProvider, OAuthProvider, Provider
from providers.errors import GrantRevokedError, ProviderError, TransientProviderError
from providers.oauth import new_code_verifier
from providers.registry import get_provider
from providers.youtube.client import youtube_credentials
from uploads.services import jobs_cancel_for_channel

logger = logging.getLogger(__name__)

_STATE_SALT = "channels_app.oauth-state"


# --- limits ------------------------------------------------------------------------------
def _lock_user(user: User) -> User:
    """Lock the user's row for the rest of the transaction; the caller holds ``atomic``."""
    return User.objects.select_for_update(of=("self",)).get(pk=user.pk)


def _ensure_below_limit(locked_user: User) -> None:
    """Raise ``plan_limit_reached`` when one more channel would pass the plan's limit.

    Precondition: the caller holds the lock from :func:`_lock_user`.
    """
    limit = channel_limit_for(locked_user)
    if Channel.objects.filter(user=locked_user).count() >= limit:
        raise Forbidden(f"Your plan allows {limit} connected channels.", code="plan_limit_reached")


def _provider_not_configured(provider: Provider) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"{provider.name} is not configured on this server.", code="provider_not_configured"
    )


# --- manual platforms ----------------------------------------------------------------------
def _normalize_listing_id(provider: ManualProvider, value: str) -> str:
    if not value.strip():
        return ""
    try:
        return provider.normalize_listing_id(value)
    except ValueError as exc:
        raise InvalidInput(str(exc), code="invalid", attr="provider_channel_id") from exc


def channel_connect_manual(
    *, user: User, provider: ManualProvider, provider_channel_id: str = "", display_name: str = ""
) -> Channel:
    """Record the creator's listing on a platform without an API.

    Without a listing id the channel is PENDING (the creator submits the feed first and
    records the id later); with one it is ACTIVE.
    """
    listing_id = _normalize_listing_id(provider, provider_channel_id)
    with transaction.atomic():
        locked_user = _lock_user(user)
        if (
            listing_id
            and Channel.objects.filter(
                user=locked_user, platform=provider.platform, provider_channel_id=listing_id
            ).exists()
        ):
            raise Conflict(
                f"This {provider.name} listing is already connected.", code="already_connected"
            )
        _ensure_below_limit(locked_user)
        return Channel.objects.create(
            user=locked_user,
            platform=provider.platform,
            provider_channel_id=listing_id,
            display_name=display_name or provider.name,
            status=ChannelStatus.ACTIVE if listing_id else ChannelStatus.PENDING,
            meta=provider.meta_for(listing_id),
        )


class ProviderUnavailable(ServiceUnavailable):
    """The platform did not answer (timeout, 5xx, 429): worth trying again later."""

    default_code = "provider_unavailable"


# --- OAuth platforms -----------------------------------------------------------------------
@dataclass(frozen=True)
class OAuthStart:
    authorization_url: str
    state: str


class OAuthCallbackError(Exception):
    """The callback failed; ``code`` goes to the frontend as ``?error=<code>``."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def _verifier_ad(state_row: OAuthState) -> str:
    return f"oauth-state:{state_row.id}"


def _may_reauthorize(user: User, provider: OAuthProvider) -> bool:
    """Whether the user has a channel here whose grant was lost (re-consent adds none)."""
    return Channel.objects.filter(
        user=user,
        platform=provider.platform,
        status__in=[ChannelStatus.NEEDS_REAUTH, ChannelStatus.ERROR],
    ).exists()


def channel_oauth_start(*, user: User, provider: OAuthProvider) -> OAuthStart:
    """Open an authorization request: a signed single-use state and a server-side verifier.

    The plan limit is checked here for an early answer and again, under lock, at the callback.
    """
    if not provider.is_configured():
        raise _provider_not_configured(provider)
    if not _may_reauthorize(user, provider):
        with transaction.atomic():
            _ensure_below_limit(_lock_user(user))
    now = timezone.now()
    nonce = secrets.token_urlsafe(32)
    verifier = new_code_verifier()
    state_row = OAuthState(
        user=user,
        platform=provider.platform,
        nonce_hash=_nonce_hash(nonce),
        created_at=now,
        expires_at=now + settings.OAUTH_STATE_TTL,
    )
    state_row.code_verifier_encrypted = crypto.encrypt(
        verifier, associated_data=_verifier_ad(state_row)
    )
    with transaction.atomic():
        OAuthState.objects.filter(user=user, expires_at__lt=now).delete()
        state_row.save(force_insert=True)
    state = signing.dumps(
        {"n": nonce, "u": str(user.pk), "p": provider.platform.value}, salt=_STATE_SALT
    )
    return OAuthStart(
        authorization_url=provider.authorization_url(state=state, code_verifier=verifier),
        state=state,
    )


def _oauth_state_consume(*, platform: str, state: str) -> OAuthState:
    """Check the signed state and claim its row once; any doubt is ``invalid_state``."""
    try:
        payload = signing.loads(state, salt=_STATE_SALT, max_age=settings.OAUTH_STATE_TTL)
    except signing.BadSignature as exc:  # includes SignatureExpired
        raise OAuthCallbackError("invalid_state") from exc
    if not isinstance(payload, dict) or payload.get("p") != platform:
        raise OAuthCallbackError("invalid_state")
    nonce, user_id = payload.get("n"), payload.get("u")
    if not isinstance(nonce, str) or not isinstance(user_id, str):
        raise OAuthCallbackError("invalid_state")
    now = timezone.now()
    pending = OAuthState.objects.filter(
        nonce_hash=_nonce_hash(nonce), platform=platform, user_id=user_id
    )
    # Conditional UPDATE: of two requests replaying one state, exactly one claims it.
    if pending.filter(used_at__isnull=True, expires_at__gt=now).update(used_at=now) != 1:
        raise OAuthCallbackError("invalid_state")
    return pending.select_related("user").get()


def _store_grant(*, user: User, provider: OAuthProvider, account: AccountSnapshot) -> Channel:
    """Create the channel for a fresh grant, or re-authorise the user's channel that lost it."""
    if not account.refresh_token:
        raise OAuthCallbackError("no_refresh_token")
    with transaction.atomic():
        locked_user = _lock_user(user)
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
            _ensure_below_limit(locked_user)
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
        channel.display_name = account.display_name[:200]
        channel.meta = account.meta
        channel.status = ChannelStatus.ACTIVE
        channel.last_refreshed_at = timezone.now()
        channel.save()
        return channel


def channel_oauth_complete(*, platform: str, state: str, code: str, error: str = "") -> Channel:
    """Finish an authorization request from the platform's redirect.

    Raises :class:`OAuthCallbackError` for every failure; nothing is created then. The state
    is spent even when a later step fails: a consent is good for one attempt.
    """
    try:
        provider = get_provider(platform)
    except KeyError:
        provider = None
    if not isinstance(provider, OAuthProvider):
        raise OAuthCallbackError("unknown_platform")
    pending = _oauth_state_consume(platform=platform, state=state)
    if error:
        raise OAuthCallbackError("access_denied" if error == "access_denied" else "oauth_error")
    if not code:
        raise OAuthCallbackError("missing_code")
    if not provider.is_configured():
        raise OAuthCallbackError("provider_not_configured")
    try:
        verifier = crypto.decrypt(
            pending.code_verifier_encrypted, associated_data=_verifier_ad(pending)
        )
    except crypto.DecryptionError as exc:  # the key changed during the consent
        raise OAuthCallbackError("invalid_state") from exc
    try:
        account = provider.exchange_code(code=code, code_verifier=verifier)
    except TransientProviderError as exc:
        raise OAuthCallbackError("provider_unavailable") from exc
    except ProviderError as exc:
        raise OAuthCallbackError(exc.code) from exc
    try:
        return _store_grant(user=pending.user, provider=provider, account=account)
    except ApplicationError as exc:
        raise OAuthCallbackError(exc.code) from exc


def channel_connect(
    *, user: User, platform: str, provider_channel_id: str = "", display_name: str = ""
) -> Channel | OAuthStart:
    """Connect a channel the way its platform allows: a manual listing, or an OAuth start."""
    provider = get_provider(platform)
    if isinstance(provider, OAuthProvider):
        return channel_oauth_start(user=user, provider=provider)
    if not isinstance(provider, ManualProvider):  # pragma: no cover - registry invariant
        raise TypeError(f"{platform} is neither an OAuth nor a manual platform")
    return channel_connect_manual(
        user=user,
        provider=provider,
        provider_channel_id=provider_channel_id,
        display_name=display_name,
    )


# --- grants for the upload pipeline ------------------------------------------------------------
def channel_refresh_token(channel: Channel) -> str:
    """The channel's refresh token in clear; ``DecryptionError`` when it was tampered with."""
    return crypto.decrypt(channel.refresh_token_encrypted, associated_data=str(channel.id))


def _stored_refresh_token(channel: Channel) -> str | None:
    """The grant in clear, or ``None`` when there is none or it no longer decrypts.

    A value that fails authentication (tampered, or sealed with a key no longer configured)
    is never used; it is logged as an error and the creator has to connect again.
    """
    if not channel.refresh_token_encrypted:
        return None
    try:
        return channel_refresh_token(channel)
    except crypto.DecryptionError:
        logger.error(
            "channel %s: stored grant does not decrypt; re-authorisation needed", channel.pk
        )
        return None


def channel_credentials(channel: Channel) -> Credentials:
    """Google credentials for a YouTube channel's stored grant (access token minted on use).

    Raises ``GrantRevokedError`` when there is no usable grant, so the upload pipeline fails
    the job and marks the channel NEEDS_REAUTH, as for a grant Google revoked.
    """
    refresh_token = _stored_refresh_token(channel)
    if refresh_token is None:
        raise GrantRevokedError("The channel has no usable grant.", code="grant_revoked")
    return youtube_credentials(refresh_token)


def channel_mark_needs_reauth(*, channel: Channel) -> None:
    """The platform refused the channel's grant: the creator must connect it again."""
    now = timezone.now()
    Channel.objects.filter(pk=channel.pk).update(status=ChannelStatus.NEEDS_REAUTH, updated_at=now)
    channel.status = ChannelStatus.NEEDS_REAUTH
    channel.updated_at = now


# --- refresh ---------------------------------------------------------------------------------
def channel_refresh(*, channel: Channel) -> Channel:
    """Read the channel's current name, picture and figures from its platform.

    A revoked grant is not an error for the caller: the channel comes back NEEDS_REAUTH.
    The channel row stays locked during the call (bounded by ``PROVIDER_HTTP_TIMEOUT``):
    platforms with single-use refresh tokens must never see two refreshes of one grant.
    """
    provider = get_provider(channel.platform)
    now = timezone.now()
    if not isinstance(provider, OAuthProvider):
        # A listing on a directory has nothing to read back; the refresh is a touch.
        Channel.objects.filter(pk=channel.pk).update(last_refreshed_at=now, updated_at=now)
        channel.last_refreshed_at = now
        return channel
    if not provider.is_configured():
        raise _provider_not_configured(provider)
    with transaction.atomic():
        try:
            channel = Channel.objects.select_for_update().get(pk=channel.pk)
        except Channel.DoesNotExist as exc:
            raise NotFound("No such channel.", code="not_found") from exc
        refresh_token = _stored_refresh_token(channel)
        if refresh_token is None:
            channel.status = ChannelStatus.NEEDS_REAUTH
            channel.save(update_fields=["status", "updated_at"])
            return channel
        try:
            account = provider.fetch_account(refresh_token=refresh_token)
        except ProviderError as exc:
            # The platform may have traded a single-use refresh token before failing.
            _keep_rotated_grant(channel, exc.rotated_refresh_token)
            if isinstance(exc, GrantRevokedError):
                channel.status = ChannelStatus.NEEDS_REAUTH
                channel.save(update_fields=["status", "updated_at"])
                return channel
            if not isinstance(exc, TransientProviderError):
                logger.warning("channel %s: refresh refused: %s", channel.pk, exc.code)
                channel.status = ChannelStatus.ERROR
                channel.meta = {**channel.meta, "error": {"code": exc.code, "message": exc.message}}
                channel.save(update_fields=["status", "meta", "updated_at"])
                return channel
            unavailable = exc
        else:
            channel.display_name = account.display_name[:200]
            channel.meta = account.meta
            channel.status = ChannelStatus.ACTIVE
            channel.last_refreshed_at = timezone.now()
            channel.save(
                update_fields=["display_name", "meta", "status", "last_refreshed_at", "updated_at"]
            )
            _keep_rotated_grant(channel, account.refresh_token)
            return channel
    # Raised after the commit, so a rotated token stored above survives the 503.
    raise ProviderUnavailable(f"{provider.name} did not answer; try again later.") from unavailable


def _keep_rotated_grant(channel: Channel, refresh_token: str | None) -> None:
    """Keep a refresh token the platform issued in place of the stored one (rotation)."""
    if not refresh_token:
        return
    if refresh_token == _stored_refresh_token(channel):
        return
    channel.refresh_token_encrypted = crypto.encrypt(refresh_token, associated_data=str(channel.id))
    channel.save(update_fields=["refresh_token_encrypted", "updated_at"])


def _enqueue_refreshes(channel_ids: list[uuid.UUID]) -> None:
    from channels_app.tasks import channel_refresh_task  # tasks import this module

    def send() -> None:
        for channel_id in channel_ids:
            enqueue(channel_refresh_task, str(channel_id))

    transaction.on_commit(send)


def channels_refresh_all(*, user: User) -> int:
    """Queue one refresh task per channel of the user; returns how many were queued."""
    channel_ids = list(Channel.objects.filter(user=user).values_list("pk", flat=True))
    _enqueue_refreshes(channel_ids)
    return len(channel_ids)


def channels_refresh_stale() -> int:
    """Queue a refresh for every active OAuth channel not refreshed recently (beat, daily)."""
    cutoff = timezone.now() - settings.CHANNEL_STALE_AFTER
    channel_ids = list(channels_stale(refreshed_before=cutoff).values_list("pk", flat=True))
    _enqueue_refreshes(channel_ids)
    return len(channel_ids)


# --- edit and disconnect --------------------------------------------------------------------
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
        listing_id = _normalize_listing_id(provider, provider_channel_id)
        channel.provider_channel_id = listing_id
        channel.status = ChannelStatus.ACTIVE if listing_id else ChannelStatus.PENDING
        channel.meta = {**channel.meta, **provider.meta_for(listing_id)}
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


def channel_disconnect(*, channel: Channel) -> None:
    """Revoke the grant (best effort), cancel the channel's queued jobs, delete the channel.

    Deleting the row erases the encrypted token with it. Jobs already running finish or fail
    on their own; their ``channel`` becomes null.
    """
    provider = get_provider(channel.platform)
    if (
        isinstance(provider, OAuthProvider)
        and provider.supports_revocation
        and channel.refresh_token_encrypted
    ):
        try:
            refresh_token = channel_refresh_token(channel)
        except crypto.DecryptionError:
            logger.error("channel %s: stored grant does not decrypt; not revoked", channel.pk)
        else:
            if provider.is_configured() and not provider.revoke(refresh_token=refresh_token):
                logger.warning("channel %s: grant not revoked at %s", channel.pk, provider.name)
    with transaction.atomic():
        # The upload pipeline's service also gives each job's quota slot back.
        jobs_cancel_for_channel(
            channel_id=channel.pk,
            error={"code": "channel_disconnected", "message": "The channel was disconnected."},
        )
        Channel.objects.filter(pk=channel.pk).delete()


def oauth_states_purge() -> int:
    """Delete authorization requests that expired (used ones expire too); returns how many."""
    deleted, _ = OAuthState.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted


# --- key rotation ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ReencryptResult:
    reencrypted: int
    current: int
    failed: list[str]


def channel_tokens_reencrypt() -> ReencryptResult:
    """Seal every stored refresh token with the current ``ENCRYPTION_KEY``.

    Run after moving the old key to ``ENCRYPTION_KEYS_OLD``; once it reports no failures, the
    old key can be dropped. Each channel is rewritten under its own row lock; running it twice
    changes nothing the second time.
    """
    reencrypted, current, failed = 0, 0, []
    candidates = Channel.objects.exclude(refresh_token_encrypted="").order_by("pk")
    for channel_id in list(candidates.values_list("pk", flat=True)):
        with transaction.atomic():
            channel = Channel.objects.select_for_update().filter(pk=channel_id).first()
            if channel is None or not channel.refresh_token_encrypted:
                continue
            if crypto.is_current(channel.refresh_token_encrypted):
                current += 1
                continue
            try:
                token = channel_refresh_token(channel)
            except crypto.DecryptionError:
                failed.append(str(channel_id))
                continue
            channel.refresh_token_encrypted = crypto.encrypt(token, associated_data=str(channel.id))
            channel.save(update_fields=["refresh_token_encrypted", "updated_at"])
            reencrypted += 1
    return ReencryptResult(reencrypted=reencrypted, current=current, failed=failed)
