"""``POST /webhook/stripe``: verify, record, process once, keep failures for a replay.

dj-stripe's own webhook view stores the request body before it checks the signature, and its
secret lives in a database row; Gateway's contract is a fixed path verified with
``STRIPE_WEBHOOK_SECRET`` and nothing kept from a request that fails verification. So the
signature is checked here first; only then is the request recorded (dj-stripe's
``WebhookEventTrigger``, visible in the admin) and handed to dj-stripe's ``Event.process``,
which stores the event and runs the handlers. Each event id is processed once: a
``StripeEventClaim`` row is inserted first in the same transaction, so a replay finds it and a
copy arriving at the same time waits on its primary key, then finds it; neither changes
anything.
"""

from __future__ import annotations

import json
import logging
from traceback import format_exc

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from djstripe.models import Event, WebhookEventTrigger

from billing.models import StripeEventClaim
from core.errors import InvalidInput, ServiceUnavailable

logger = logging.getLogger(__name__)

# Seconds a signed request stays acceptable (Stripe's own libraries default to 300).
SIGNATURE_TOLERANCE = 300


def _verified_event(*, payload: bytes, signature: str) -> dict:
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise ServiceUnavailable(
            "Stripe webhooks are not configured on this server.", code="billing_not_configured"
        )
    try:
        body = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(body, signature, secret, SIGNATURE_TOLERANCE)
        event = json.loads(body)
    except (UnicodeDecodeError, stripe.SignatureVerificationError, ValueError) as exc:
        raise InvalidInput(
            "The Stripe-Signature header does not match the body.", code="invalid_signature"
        ) from exc
    if not isinstance(event, dict) or not {"id", "type", "livemode"} <= event.keys():
        raise InvalidInput("The body is not a Stripe event.", code="invalid_event")
    return event


def stripe_webhook_receive(
    *, payload: bytes, signature: str, remote_ip: str
) -> WebhookEventTrigger:
    """Verify a webhook request, record it, and process its event once.

    Raises ``InvalidInput`` (400) before anything is written when the signature, its age or
    the body is wrong. A failure while processing does not fail the request: it is recorded on
    the trigger (``processed=False`` with the error) for :func:`webhook_trigger_replay`.
    """
    _verified_event(payload=payload, signature=signature)
    trigger = WebhookEventTrigger.objects.create(
        headers={"Stripe-Signature": signature},
        body=payload.decode("utf-8"),
        remote_ip=remote_ip,
        valid=True,
    )
    webhook_trigger_process(trigger=trigger)
    return trigger


def webhook_trigger_process(*, trigger: WebhookEventTrigger) -> bool:
    """Process a verified trigger's event; record the outcome on the trigger.

    Everything the event changes commits together or not at all, so a failed attempt leaves
    nothing half-applied and can be replayed. Returns whether it was processed.
    """
    event_id = trigger.json_body["id"]
    try:
        with transaction.atomic():
            if _claim(event_id):
                trigger.process(save=False, api_key=settings.STRIPE_SECRET_KEY or None)
            else:
                trigger.event = Event.objects.filter(id=event_id).first()
                trigger.processed = True
    except Exception as exc:  # any failure is kept for the operator's replay, not lost
        logger.exception("Stripe event of webhook %s failed to process.", trigger.pk)
        trigger.processed = False
        trigger.exception = f"{type(exc).__name__}: {exc}"[:128]
        trigger.traceback = format_exc()
    trigger.save()
    return trigger.processed


def _claim(event_id: str) -> bool:
    """Claim ``event_id`` for this transaction; ``False`` when its processing already committed.

    Waits while another transaction holds the claim, then fails if that one committed.
    """
    try:
        with transaction.atomic():
            StripeEventClaim.objects.create(event_id=event_id)
    except IntegrityError:
        return False
    return True


def webhook_trigger_replay(*, trigger: WebhookEventTrigger) -> bool:
    """Process again a verified trigger that failed (the admin's replay action).

    A trigger already processed, or never verified, is left alone: replaying it would change
    nothing (events are processed once) or trust an unverified body.
    """
    if not trigger.valid or trigger.processed:
        return False
    return webhook_trigger_process(trigger=trigger)
