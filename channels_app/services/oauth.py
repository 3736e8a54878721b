"""The OAuth flow with PKCE: start (signed single-use state, server-side verifier), callback
(claim the state, exchange the code, hold the result for the starter to finish, see
``oauth_flows``), and forgetting expired states.

The plan's channel limit is checked at the start for an early answer and again, under the
user's row lock, when the flow is finished.
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
from channels_app.errors import (
    GoogleProjectUnusable,
    google_project_not_found,
    provider_not_configured,
)
from channels_app.models import Channel, ChannelStatus, GoogleProject, OAuthState
from channels_app.services.google_projects import (
    google_project_client,
    google_project_lock,
    oauth_provider_for,
)
from channels_app.services.grants import grant_revoke
from channels_app.services.limits import channel_limit_ensure_room, user_lock
from channels_app.services.oauth_flows import oauth_flow_hold
from core import crypto
from core.errors import Conflict
from providers.base import OAuthProvider
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


def channel_oauth_start(
    *, user: User, provider: OAuthProvider, google_project: GoogleProject | None = None
) -> OAuthStart:
    """Open an authorization request: a signed single-use state and a server-side verifier.

    With ``google_project`` (the caller checked it is the user's) the consent asks for that
    project's client, and the state remembers it for the callback. The plan limit is checked
    here for an early answer and again, under lock, at the finish.
    """
    if google_project is not None:
        try:
            provider = provider.with_client(google_project_client(google_project))
        except GoogleProjectUnusable as exc:
            raise Conflict(exc.message, code=exc.code) from exc
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
        google_project=google_project,
        nonce_hash=_nonce_hash(nonce),
        created_at=now,
        expires_at=now + settings.OAUTH_STATE_TTL,
    )
    state_row.code_verifier_encrypted = crypto.encrypt(
        verifier, associated_data=_verifier_ad(state_row)
    )
    with transaction.atomic():
        if google_project is not None and not google_project_lock(google_project):
            raise google_project_not_found()  # deleted meanwhile
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
    return pending.select_related("user", "google_project").get()


def channel_oauth_callback(*, platform: str, state: str, code: str, error: str = "") -> str:
    """Take the platform's redirect: claim the state, exchange the code, hold the result.

    Connects nothing (the browser that comes back is not trusted to say whose account it is):
    returns the id of the held flow, which the starting account finishes with
    :func:`~channels_app.services.oauth_flows.oauth_flow_finish`. Raises
    :class:`OAuthCallbackError` for every failure; nothing is held then. The state is spent
    even when a later step fails: a consent is good for one attempt.
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
    try:
        provider = oauth_provider_for(platform=platform, google_project=pending.google_project)
    except GoogleProjectUnusable as exc:
        raise OAuthCallbackError(exc.code) from exc
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
    if not account.refresh_token:
        raise OAuthCallbackError("no_refresh_token")
    flow = oauth_flow_hold(
        user=pending.user, provider=provider, account=account, google_project=pending.google_project
    )
    if flow is None:  # the project was deleted during the exchange: nothing may hold its grant
        grant_revoke(
            provider=provider, refresh_token=account.refresh_token, subject=f"state {pending.pk}"
        )
        raise OAuthCallbackError("invalid_state")
    return flow


def oauth_states_purge() -> int:
    """Delete authorization requests that expired (used ones expire too); returns how many."""
    deleted, _ = OAuthState.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
