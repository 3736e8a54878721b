from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from providers.platforms import Platform


class ChannelStatus(models.TextChoices):
    ACTIVE = "ACTIVE"
    PENDING = "PENDING"
    NEEDS_REAUTH = "NEEDS_REAUTH"
    ERROR = "ERROR"


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
    # AES-256-GCM ciphertexts (never plaintext); empty when the platform has no OAuth grant.
    refresh_token_encrypted = models.TextField(blank=True)
    connected_at = models.DateTimeField(default=timezone.now)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

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
    flow_hash = models.CharField(max_length=64, unique=True)
    account_encrypted = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="oauthflow_expiry")]

    def __str__(self) -> str:
        return f"{self.platform} consent waiting for {self.user_id}"
