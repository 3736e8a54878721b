"""Attempting deliveries: claim, send, record, schedule the next attempt or give up.

Deliveries of one job to one endpoint form a chain ordered by ``sequence``; only the head of a
chain (no earlier PENDING delivery) may be attempted, so a receiver hears of a job's events in
the order they happened. An attempt is claimed with a conditional UPDATE that moves
``next_attempt_at`` to the end of a lease: a second worker, the beat or the embedded sender
finds it not due, and a worker that dies mid-attempt leaves it due again when the lease ends
(at least once).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from core.crypto import DecryptionError, decrypt
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from webhooks.sending import SendResult, encode_body, send

logger = logging.getLogger(__name__)

DUE_BATCH = 500
REDISPATCH_AFTER = timedelta(minutes=5)
"""How long a task handed to the workers may take to start before the beat sends another."""


@dataclass(frozen=True)
class AttemptOutcome:
    """What an attempt did, and the delivery of the same chain that may go now, if any."""

    claimed: bool
    successor_id: UUID | None = None


def secret_associated_data(endpoint_id: UUID) -> str:
    return f"webhook-endpoint:{endpoint_id}"


def _earlier_pending() -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(
        endpoint=OuterRef("endpoint"),
        job_id=OuterRef("job_id"),
        sequence__lt=OuterRef("sequence"),
        status=DeliveryStatus.PENDING,
    )


def _ready(now: datetime) -> QuerySet[WebhookDelivery]:
    """Deliveries that may be attempted now: due, of an enabled endpoint, head of their chain."""
    return WebhookDelivery.objects.filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__enabled=True
    ).exclude(Exists(_earlier_pending()))


def deliveries_due_ids(*, limit: int = DUE_BATCH) -> list[UUID]:
    """Ids of deliveries that may be attempted now, longest waiting first."""
    ready = _ready(timezone.now()).order_by("next_attempt_at")
    return list(ready.values_list("id", flat=True)[:limit])


def deliveries_take_for_dispatch(*, limit: int = DUE_BATCH) -> list[UUID]:
    """Ready deliveries whose task is not already on its way (due retries, and those whose
    message or worker was lost), marked as handed over now. For the beat."""
    now = timezone.now()
    not_sent_lately = Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - REDISPATCH_AFTER)
    ids = list(
        _ready(now)
        .filter(not_sent_lately)
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )
    WebhookDelivery.objects.filter(id__in=ids).update(dispatched_at=now)
    return ids


def retry_delay(attempts: int) -> float:
    """Seconds before attempt ``attempts + 1``: exponential, capped, with jitter.

    With the defaults (30 s doubling, capped at 6 h) attempts continue for about a day
    (``WEBHOOK_RETRY_WINDOW``) before the delivery is given up.
    """
    base = settings.WEBHOOK_RETRY_BASE_DELAY * 2 ** max(attempts - 1, 0)
    return min(base, settings.WEBHOOK_RETRY_MAX_DELAY) * random.uniform(0.75, 1.0)  # noqa: S311 - jitter


def delivery_attempt(*, delivery_id: UUID) -> AttemptOutcome:
    """Attempt one delivery if it is ready; safe to call twice or for a delivery not due."""
    now = timezone.now()
    if not _ready(now).filter(id=delivery_id).exists():
        return AttemptOutcome(claimed=False)
    # The claim is a plain conditional UPDATE of this row (no join), so of two workers racing
    # for it the second finds next_attempt_at moved and changes nothing.
    lease = timedelta(seconds=2 * settings.WEBHOOK_TIMEOUT + 30)
    claimed = WebhookDelivery.objects.filter(
        id=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + lease, attempts=F("attempts") + 1)
    if not claimed:
        return AttemptOutcome(claimed=False)
    delivery = WebhookDelivery.objects.select_related("endpoint", "endpoint__owner").get(
        id=delivery_id
    )
    result = _send(delivery)
    with transaction.atomic():
        if result.ok:
            _record_success(delivery, result)
        else:
            _record_failure(delivery, result)
    successor_id = _successor_id(delivery) if delivery.status != DeliveryStatus.PENDING else None
    if successor_id is not None:
        # The caller hands it over now; the beat need not send it too.
        WebhookDelivery.objects.filter(id=successor_id).update(dispatched_at=timezone.now())
    return AttemptOutcome(claimed=True, successor_id=successor_id)


def _send(delivery: WebhookDelivery) -> SendResult:
    endpoint = delivery.endpoint
    try:
        secret = decrypt(
            endpoint.secret_encrypted, associated_data=secret_associated_data(endpoint.id)
        )
    except DecryptionError:
        # ENCRYPTION_KEY rotated without keeping the old one: the operator must fix it.
        logger.error("webhook secret does not decrypt", extra={"endpointId": str(endpoint.id)})
        return SendResult(error="the endpoint's secret cannot be read")
    return send(
        url=endpoint.url,
        secret=secret,
        message_id=delivery.message_id,
        sent_at=timezone.now(),
        body=encode_body(delivery.payload),
    )


def _record_success(delivery: WebhookDelivery, result: SendResult) -> None:
    delivery.status = DeliveryStatus.DELIVERED
    delivery.last_status = result.status
    delivery.last_error = ""
    delivery.delivered_at = timezone.now()
    delivery.next_attempt_at = None
    _save_outcome(delivery)
    WebhookEndpoint.objects.filter(id=delivery.endpoint_id, failing_since__isnull=False).update(
        failing_since=None
    )


def _record_failure(delivery: WebhookDelivery, result: SendResult) -> None:
    now = timezone.now()
    window = settings.WEBHOOK_RETRY_WINDOW
    delivery.last_status = result.status
    delivery.last_error = result.error
    if now - delivery.created_at >= window:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = now + timedelta(seconds=retry_delay(delivery.attempts))
    delivery.dispatched_at = None  # the beat sends the retry when it is due
    _save_outcome(delivery)
    WebhookEndpoint.objects.filter(id=delivery.endpoint_id, failing_since__isnull=True).update(
        failing_since=now
    )
    disabled = WebhookEndpoint.objects.filter(
        id=delivery.endpoint_id, enabled=True, failing_since__lte=now - window
    ).update(enabled=False, disabled_at=now)
    if disabled:
        endpoint_deliveries_give_up(endpoint_id=delivery.endpoint_id)
        if delivery.status == DeliveryStatus.PENDING:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
        endpoint = delivery.endpoint
        transaction.on_commit(lambda: _disabled_email(endpoint), robust=True)


def _save_outcome(delivery: WebhookDelivery) -> None:
    """Record an attempt's outcome; a delivery deleted meanwhile (with its endpoint) is left be."""
    WebhookDelivery.objects.filter(id=delivery.id).update(
        status=delivery.status,
        last_status=delivery.last_status,
        last_error=delivery.last_error,
        delivered_at=delivery.delivered_at,
        next_attempt_at=delivery.next_attempt_at,
        dispatched_at=delivery.dispatched_at,
    )


def endpoint_deliveries_give_up(*, endpoint_id: UUID) -> int:
    """Mark every PENDING delivery of a disabled endpoint FAILED (nothing will send them)."""
    return WebhookDelivery.objects.filter(
        endpoint_id=endpoint_id, status=DeliveryStatus.PENDING
    ).update(status=DeliveryStatus.FAILED, next_attempt_at=None)


def _successor_id(delivery: WebhookDelivery) -> UUID | None:
    successor = (
        WebhookDelivery.objects.filter(
            endpoint_id=delivery.endpoint_id,
            job_id=delivery.job_id,
            sequence__gt=delivery.sequence,
            status=DeliveryStatus.PENDING,
        )
        .order_by("sequence")
        .values_list("id", flat=True)
        .first()
    )
    return successor


def _disabled_email(endpoint: WebhookEndpoint) -> None:
    owner = endpoint.owner
    context = {
        "user": owner,
        "url": endpoint.url,
        "hours": int(settings.WEBHOOK_RETRY_WINDOW.total_seconds() // 3600),
        "webhooks_url": f"{settings.FRONTEND_BASE_URL}/settings/webhooks",
    }
    send_mail(
        subject=render_to_string("webhooks/email/endpoint_disabled_subject.txt", context).strip(),
        message=render_to_string("webhooks/email/endpoint_disabled.txt", context),
        from_email=None,
        recipient_list=[owner.email],
    )
