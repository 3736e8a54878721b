"""The OAuth flow with PKCE: start (signed single-use state, server-side verifier), callback
(claim the state, exchange the code, store the grant), and forgetting expired states.

The plan's channel limit is checked at the start for an early answer and again, under the
user's row lock, when the grant is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from channels_app.errors import provider_not_configured
from channels_app.models import Channel, ChannelStatus, OAuthState
from channels_app.services.limits import channel_limit_ensure_room, user_lock
from core import crypto
from core.errors import ApplicationError, Conflict
from providers.base import AccountSnapshot, OAuthProvider
from providers.errors import ProviderError, TransientProviderError
from providers.oauth import new_code_verifier
from providers.registry import get_provider

_STATE_SALT = "channels_app.oauth-state"


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
        raise provider_not_configured(provider)
    if not _may_reauthorize(user, provider):
        with transaction.atomic():
            channel_limit_ensure_room(user_lock(user))
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
        locked_user = user_lock(user)
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


def oauth_states_purge() -> int:
    """Delete authorization requests that expired (used ones expire too); returns how many."""
    deleted, _ = OAuthState.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
