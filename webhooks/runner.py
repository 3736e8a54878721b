"""Embedded mode (no ``REDIS_URL``): deliveries are sent by a background thread of the server.

Like the uploads runner, never by the request or the job that published the event: the
publisher only wakes this thread. Every ``WEBHOOK_DISPATCH_INTERVAL``, or at once when woken,
it attempts every ready delivery one after the other (the same services as the workers).
"""

from __future__ import annotations

from django.conf import settings

from core.background import BackgroundLoop
from webhooks.delivery import deliveries_due_ids, delivery_attempt


class EmbeddedSender(BackgroundLoop):
    thread_name = "webhooks-embedded-sender"

    def interval(self) -> float:
        return settings.WEBHOOK_DISPATCH_INTERVAL.total_seconds()

    def run_pass(self) -> int:
        """Attempt every delivery that is ready now. Returns how many were tried."""
        ids = deliveries_due_ids()
        for delivery_id in ids:
            delivery_attempt(delivery_id=delivery_id)
        return len(ids)


embedded_sender = EmbeddedSender()
