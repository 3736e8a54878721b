from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.owned_models import OwnedQuerySet
from providers.platforms import Platform


class ChannelStatus(models.TextChoices):
    ACTIVE = "ACTIVE"
    PENDING = "PENDING"
    NEEDS_REAUTH = "NEEDS_REAUTH"
    ERROR = "ERROR"


class GoogleProject(models.Model):
    """A creator's own Google Cloud project (Agency plan): its OAuth client, and its YouTube
    Data API quota, which channels connected through it spend instead of the server's.

    The client secret is only ever stored sealed with AES-256-GCM, bound to this row's id
    (like a channel's grant). A channel keeps pointing at the project whose client obtained its
    grant: Google refuses a grant presented by any other client.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="google_projects"
    )
    name = models.CharField(max_length=100)
    client_id = models.CharField(max_length=255)
    client_secret_encrypted = models.TextField()
    daily_uploads = models.PositiveIntegerField(help_text="videos.insert calls a day.")
    daily_units = models.PositiveIntegerField(help_text="YouTube Data API units a day.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "client_id"], name="google_project_one_per_client_and_owner"
            ),
            models.CheckConstraint(
                condition=Q(daily_uploads__gte=1) & Q(daily_units__gte=1),
                name="google_project_budget_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Channel(models.Model):
    """A creator's account (or show listing) on one platform."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channels"
    )
    platform = models.CharField(max_length=32, choices=Platform.choices)
    provider_channel_id = models.CharField(max_length=255, blank=True)
    display_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=16, choices=ChannelStatus.choices, default=ChannelStatus.PENDING
    )
    meta = models.JSONField(default=dict, blank=True)
    # A podcast directory's listing of one of the user's shows (feed platforms only): uploads
    # to the channel become episodes of this show. Null: a listing hosted elsewhere. A deleted
    # show leaves the listing recorded, without uploads.
    show = models.ForeignKey(
        "podcasts.Show",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="directory_channels",
    )
    # The creator's own Google project whose client obtained the grant (and whose quota the
    # channel spends); null: the server's shared client. A project in use cannot be deleted;
    # RESTRICT (not PROTECT) still lets a user's deletion take both with it.
    google_project = models.ForeignKey(
        GoogleProject,
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="channels",
    )
    # AES-256-GCM ciphertexts (never plaintext); empty when the platform has no OAuth grant.
    refresh_token_encrypted = models.TextField(blank=True)
    connected_at = models.DateTimeField(default=timezone.now)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-connected_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "platform", "provider_channel_id"],
                condition=~Q(provider_channel_id=""),
                name="channel_one_connection_per_platform_account",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ChannelStatus.values), name="channel_status_valid"
            ),
            # One listing of a show per directory (the show's feed is submitted once there).
            models.UniqueConstraint(
                fields=["show", "platform"],
                condition=Q(show__isnull=False),
                name="channel_one_listing_per_show_and_platform",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-connected_at"], name="channel_user_recent"),
            models.Index(fields=["platform", "last_refreshed_at"], name="channel_refresh_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()}: {self.display_name or self.provider_channel_id}"


class OAuthState(models.Model):
    """One authorization request in flight: the server side of the OAuth ``state``.

    The ``state`` sent to the platform is signed and carries a random nonce; only the nonce's
    SHA-256 is stored here. The PKCE verifier stays on the server (encrypted, bound to this
    row), so a code obtained for one request can never complete another. A row is used once
    (``used_at``) and only before ``expires_at``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oauth_states"
    )
    platform = models.CharField(max_length=32, choices=Platform.choices)
    # The creator's own Google project the consent goes through (null: the shared client).
    # Deleting the project ends the consent: its callback then finds no state.
    google_project = models.ForeignKey(
        GoogleProject, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    nonce_hash = models.CharField(max_length=64, unique=True)
    code_verifier_encrypted = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="oauthstate_expiry")]

    def __str__(self) -> str:
        return f"{self.platform} consent for {self.user_id}"


class OAuthFlow(models.Model):
    """A consent the platform approved, held until the account that started it finishes it.

    The callback only knows which account *started* the consent, not who approved it, so it
    connects nothing: it keeps the exchanged result here for at most ``OAUTH_STATE_TTL`` and
    the frontend finishes it under its own bearer token. The flow id handed to the frontend
    is random; only its SHA-256 is stored. The account read from the platform and its grant
    are one AES-256-GCM value bound to this row (nothing usable in clear). A flow is finished
    or destroyed once; an expired one is purged with its grant revoked.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oauth_flows"
    )
    platform = models.CharField(max_length=32, choices=Platform.choices)
    # The client that obtained the held grant; the project cannot be deleted while it waits.
    google_project = models.ForeignKey(
        GoogleProject, on_delete=models.RESTRICT, null=True, blank=True, related_name="+"
    )
    flow_hash = models.CharField(max_length=64, unique=True)
    account_encrypted = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="oauthflow_expiry")]

    def __str__(self) -> str:
        return f"{self.platform} consent waiting for {self.user_id}"
