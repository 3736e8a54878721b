"""Creators' own Google Cloud projects (Agency plan): registering, editing and deleting their
OAuth client, and picking the client a channel or a consent acts with.

A grant belongs to the client that obtained it, so a channel keeps its project for life (a
re-consent through another project moves it there); refresh, revocation and uploads present
that project's client. The secret is sealed like a grant (AES-256-GCM, bound to the row id)
and opened only to hand a provider an ``OAuthClientConfig``.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import User
from billing.selectors import plan_allows_own_google_projects
from channels_app import selectors
from channels_app.errors import (
    GoogleProjectUnusable,
    google_project_not_found,
    own_google_projects_not_in_plan,
)
from channels_app.models import Channel, GoogleProject, OAuthFlow
from channels_app.services.grants import ReencryptResult, sealed_column_reencrypt
from channels_app.services.limits import user_lock
from core import crypto
from core.errors import Conflict, Forbidden, InvalidInput
from providers.base import OAuthClientConfig, OAuthProvider, Provider
from providers.registry import get_provider

logger = logging.getLogger(__name__)


def _secret_seal(project: GoogleProject, client_secret: str) -> None:
    project.client_secret_encrypted = crypto.encrypt(client_secret, associated_data=str(project.id))


def google_projects_ensure_allowed(user: User) -> None:
    """Raise ``plan_feature_unavailable`` (403) unless the user's plan includes own projects."""
    if not plan_allows_own_google_projects(user):
        raise own_google_projects_not_in_plan()


def _client_id_taken() -> InvalidInput:
    return InvalidInput(
        "You have registered this OAuth client already.", code="unique", attr="client_id"
    )


def google_project_create(
    *,
    owner: User,
    name: str,
    client_id: str,
    client_secret: str,
    daily_uploads: int | None = None,
    daily_units: int | None = None,
) -> GoogleProject:
    """Register the creator's own OAuth client; the budget defaults to the server's figures.

    At most as many projects as the plan allows channels (one project per channel is the most
    that can be useful), counted under the user's row lock.
    """
    google_projects_ensure_allowed(owner)
    project = GoogleProject(
        name=name,
        client_id=client_id,
        daily_uploads=daily_uploads or settings.YOUTUBE_DAILY_UPLOADS,
        daily_units=daily_units or settings.YOUTUBE_DAILY_UNITS,
    )
    _secret_seal(project, client_secret)
    with transaction.atomic():
        locked_owner = user_lock(owner)
        limit = selectors.channel_limit_for(locked_owner)
        if GoogleProject.objects.filter(owner=locked_owner).count() >= limit:
            raise Forbidden(f"Your plan allows {limit} Google projects.", code="plan_limit_reached")
        if GoogleProject.objects.filter(owner=locked_owner, client_id=client_id).exists():
            raise _client_id_taken()
        project.owner = locked_owner
        project.save(force_insert=True)
    return project


def _in_use(project: GoogleProject) -> bool:
    """Whether a channel, or a consent waiting to be finished, holds a grant of its client."""
    return (
        Channel.objects.filter(google_project=project).exists()
        or OAuthFlow.objects.filter(google_project=project).exists()
    )


def _in_use_error(project: GoogleProject, what: str) -> Conflict:
    return Conflict(
        f"Channels, or a connection being finished, use {project.name!r}: {what}. "
        "Disconnect them first.",
        code="google_project_in_use",
    )


def google_project_update(
    *,
    project: GoogleProject,
    name: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    daily_uploads: int | None = None,
    daily_units: int | None = None,
) -> GoogleProject:
    """Rename, re-enter the secret (Google lets a client rotate it), change the budget, or
    change the client id while no channel uses the project (their grants belong to it)."""
    google_projects_ensure_allowed(project.owner)
    try:
        with transaction.atomic():
            locked = _locked(project)
            if locked is None:
                raise google_project_not_found()
            changes = {"name": name, "daily_uploads": daily_uploads, "daily_units": daily_units}
            if client_id is not None and client_id != locked.client_id:
                if _in_use(locked):
                    raise _in_use_error(locked, "its client id cannot change")
                changes["client_id"] = client_id
            update_fields = ["updated_at"]
            for field, value in changes.items():
                if value is not None:
                    setattr(locked, field, value)
                    update_fields.append(field)
            if client_secret is not None:
                _secret_seal(locked, client_secret)
                update_fields.append("client_secret_encrypted")
            locked.save(update_fields=update_fields)
    except IntegrityError as exc:  # google_project_one_per_client_and_owner
        raise _client_id_taken() from exc
    return locked


def google_project_delete(*, project: GoogleProject) -> None:
    """Forget the project and its sealed secret; ``google_project_in_use`` (409) while a
    channel or a consent waiting to be finished holds a grant of its client.

    The project's row lock serialises this with a consent being held through it.
    """
    with transaction.atomic():
        locked = _locked(project)
        if locked is None:
            raise google_project_not_found()
        if _in_use(locked):
            raise _in_use_error(locked, "it cannot be deleted")
        locked.delete()


def google_project_lock(project: GoogleProject) -> bool:
    """Lock the project's row for the rest of the transaction (the caller holds ``atomic``)
    before a row pointing at it is written; ``False`` when it was deleted meanwhile."""
    return _locked(project) is not None


def _locked(project: GoogleProject) -> GoogleProject | None:
    return GoogleProject.objects.select_for_update().filter(pk=project.pk).first()


def google_project_client(project: GoogleProject) -> OAuthClientConfig:
    """The project's client with its secret in clear; ``GoogleProjectUnusable`` when the
    sealed secret no longer opens (logged; the creator enters it again)."""
    try:
        secret = crypto.decrypt(project.client_secret_encrypted, associated_data=str(project.id))
    except crypto.DecryptionError as exc:
        logger.error("google project %s: client secret does not decrypt", project.pk)
        raise GoogleProjectUnusable(project.name) from exc
    return OAuthClientConfig(client_id=project.client_id, client_secret=secret)


def oauth_provider_for(*, platform: str, google_project: GoogleProject | None) -> OAuthProvider:
    """The OAuth platform acting with ``google_project``'s client, or with the server's own."""
    provider = get_provider(platform)
    if not isinstance(provider, OAuthProvider):  # pragma: no cover - only OAuth grants
        raise TypeError(f"{platform} has no OAuth client")
    if google_project is None:
        return provider
    return provider.with_client(google_project_client(google_project))


def channel_provider(channel: Channel) -> Provider:
    """The channel's platform, acting with the client that obtained its grant."""
    if channel.google_project_id is None:
        return get_provider(channel.platform)
    return oauth_provider_for(platform=channel.platform, google_project=channel.google_project)


def google_project_secrets_reencrypt() -> ReencryptResult:
    """Seal every project's client secret with the current ``ENCRYPTION_KEY``."""
    return sealed_column_reencrypt(GoogleProject, "client_secret_encrypted")
