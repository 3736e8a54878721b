from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class WebhookEndpoint(models.Model):
    """A URL of a creator's that hears about every event of their jobs."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=2048)
    description = models.CharField(max_length=200, blank=True)
    # The signing key, sealed with core.crypto and bound to this row's id. Encrypted rather
    # than hashed: every delivery needs the key itself to compute its HMAC.
    secret_encrypted = models.TextField()
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Start of the current run of failed attempts; null while the endpoint answers 2xx.
    failing_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "enabled"], name="webhook_endpoint_owner")]
        constraints = [
            models.CheckConstraint(
                condition=Q(enabled=True) | Q(disabled_at__isnull=False),
                name="webhook_endpoint_disabled_at_set",
            )
        ]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"  # given up: retried for WEBHOOK_RETRY_WINDOW, or its endpoint disabled


class WebhookDelivery(models.Model):
    """One event for one endpoint, attempted until it is answered 2xx or given up.

    Deliveries of one job to one endpoint go out in ``sequence`` order: one waits while an
    earlier one of its chain is still PENDING.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(max_length=64)
    job_id = models.UUIDField()
    sequence = models.PositiveIntegerField()
    payload = models.JSONField()
    # The ``webhook-id`` header: the same for every attempt, so receivers can drop repeats.
    message_id = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)  # HTTP status
    last_error = models.CharField(max_length=200, blank=True)  # no answer: what went wrong
    created_at = models.DateTimeField(auto_now_add=True)
    # When the next attempt may start; while an attempt runs, the end of its lease (a worker
    # that dies mid-attempt leaves the delivery due again). Null when no attempt is planned.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # When a task for it was last handed to the workers; null once a retry is scheduled. The
    # beat sends only deliveries not handed over lately, so a backlog is never queued twice.
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="PENDING"),
                name="webhook_delivery_due",
            ),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "job_id", "sequence"], name="webhook_delivery_order"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="webhook_delivery_status"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id}"
