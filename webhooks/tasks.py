"""Celery tasks of webhook delivery: thin and idempotent (the delivery row is the truth)."""

from __future__ import annotations

from uuid import UUID

from celery import shared_task

from webhooks.delivery import deliveries_take_for_dispatch, delivery_attempt


@shared_task(ignore_result=True)
def deliveries_start(delivery_ids: list[str]) -> None:
    """Fan one event's deliveries out to the workers, one task each (one message from the
    publisher, whatever the number of endpoints)."""
    for delivery_id in delivery_ids:
        delivery_send.delay(delivery_id)


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def delivery_send(delivery_id: str) -> None:
    """Attempt one delivery; when its chain moves on, start the next event of the job."""
    outcome = delivery_attempt(delivery_id=UUID(delivery_id))
    if outcome.successor_id is not None:
        delivery_send.delay(str(outcome.successor_id))


@shared_task(ignore_result=True)
def deliveries_dispatch_due() -> int:
    """Beat: start every delivery whose retry is due (or whose message or worker was lost)."""
    ids = deliveries_take_for_dispatch()
    for delivery_id in ids:
        delivery_send.delay(str(delivery_id))
    return len(ids)
