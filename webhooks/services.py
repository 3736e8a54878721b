"""Writes of the webhooks app: endpoints, the fan-out of job events, redelivery."""

from __future__ import annotations

import base64
import logging
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from core.crypto import encrypt
from core.errors import InvalidInput
from core.ssrf import UnsafeAssetUrl, resolve_target
from core.tasks import enqueue
from webhooks.delivery import secret_associated_data
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from webhooks.runner import embedded_sender
from webhooks.tasks import deliveries_start

logger = logging.getLogger(__name__)

MAX_ENDPOINTS_PER_USER = 10
SECRET_BYTES = 24
_ENQUEUE_TRIES = 3


@dataclass(frozen=True)
class CreatedEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # whsec_ + base64; returned once, never stored in the clear


def webhook_url_check(*, url: str) -> None:
    """Refuse (400 ``invalid_webhook_url``) what is not a public https URL (the assetUrl rules)."""
    try:
        resolve_target(url)
    except UnsafeAssetUrl as exc:
        raise InvalidInput(str(exc), code="invalid_webhook_url", attr="url") from exc


def endpoint_create(*, owner: User, url: str, description: str = "") -> CreatedEndpoint:
    webhook_url_check(url=url)
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()
    endpoint_id = uuid.uuid4()
    with transaction.atomic():
        # The owner's row serialises concurrent creations, so the limit holds.
        User.objects.select_for_update().filter(pk=owner.pk).first()
        if WebhookEndpoint.objects.filter(owner=owner).count() >= MAX_ENDPOINTS_PER_USER:
            raise InvalidInput(
                f"At most {MAX_ENDPOINTS_PER_USER} webhook endpoints per account.",
                code="webhook_limit_reached",
                attr="url",
            )
        endpoint = WebhookEndpoint.objects.create(
            id=endpoint_id,
            owner=owner,
            url=url,
            description=description,
            secret_encrypted=encrypt(secret, associated_data=secret_associated_data(endpoint_id)),
        )
    return CreatedEndpoint(endpoint=endpoint, secret=secret)


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Forget the endpoint and its delivery log; attempts under way find nothing to record."""
    endpoint.delete()


def deliveries_enqueue(*, user_id: Any, event: dict[str, Any]) -> list[UUID]:
    """Record ``event`` (a ``/ws/jobs`` event of ``user_id``'s job) for each of the user's
    enabled endpoints and start sending it in the background. Returns the delivery ids.

    Called by the job event publisher after its transaction commits, in the order the events
    happened: the next ``sequence`` of the job is taken here, so that order is the order of
    delivery. A user without endpoints costs one indexed query.
    """
    endpoint_ids = list(
        WebhookEndpoint.objects.filter(owner_id=user_id, enabled=True).values_list("id", flat=True)
    )
    if not endpoint_ids:
        return []
    for attempt in range(_ENQUEUE_TRIES):
        try:
            ids = _deliveries_insert(endpoint_ids=endpoint_ids, event=event)
            break
        except IntegrityError:
            # Another process took the same sequence for this job at the same moment.
            if attempt == _ENQUEUE_TRIES - 1:
                raise
    deliveries_wake(ids)
    return ids


def _deliveries_insert(*, endpoint_ids: list[UUID], event: dict[str, Any]) -> list[UUID]:
    job_id = event["jobId"]
    now = timezone.now()
    with transaction.atomic():
        last = WebhookDelivery.objects.filter(
            endpoint_id__in=endpoint_ids, job_id=job_id
        ).aggregate(last=Max("sequence"))["last"]
        rows = [
            WebhookDelivery(
                endpoint_id=endpoint_id,
                event_type=event["type"],
                job_id=job_id,
                sequence=(last or 0) + 1,
                payload=event,
                message_id=f"msg_{uuid.uuid4().hex}",
                next_attempt_at=now,
                dispatched_at=now,  # deliveries_wake hands it over at once
            )
            for endpoint_id in endpoint_ids
        ]
        WebhookDelivery.objects.bulk_create(rows)
    return [row.id for row in rows]


def endpoints_enable(*, endpoints: Iterable[WebhookEndpoint]) -> int:
    """Take disabled endpoints back into service (an operator, once the receiver works again).

    Their failed deliveries stay as they are (``deliveries_redeliver`` sends them again); new
    events are delivered from now on. Returns how many were disabled and are enabled now.
    """
    return WebhookEndpoint.objects.filter(
        id__in=[endpoint.id for endpoint in endpoints], enabled=False
    ).update(enabled=True, disabled_at=None, failing_since=None)


def deliveries_redeliver(*, deliveries: Iterable[WebhookDelivery]) -> int:
    """Send deliveries again (same ``webhook-id``), e.g. after a receiver lost them.

    Deliveries of disabled endpoints are left alone. Returns how many were queued.
    """
    ids = [d.id for d in deliveries]
    now = timezone.now()
    with transaction.atomic():
        queued = list(
            WebhookDelivery.objects.select_for_update()
            .filter(id__in=ids, endpoint__enabled=True)
            .values_list("id", flat=True)
        )
        WebhookDelivery.objects.filter(id__in=queued).update(
            status=DeliveryStatus.PENDING, next_attempt_at=now, delivered_at=None, dispatched_at=now
        )
    deliveries_wake(queued)
    return len(queued)


def deliveries_wake(ids: list[UUID]) -> None:
    """Have the workers (or the embedded sender) attempt ``ids`` once this transaction commits."""
    if not ids:
        return
    if settings.REDIS_URL:
        payload = [str(i) for i in ids]
        transaction.on_commit(lambda: enqueue(deliveries_start, payload), robust=True)
    else:
        transaction.on_commit(embedded_sender.wake, robust=True)
