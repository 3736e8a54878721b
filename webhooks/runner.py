"""Embedded mode (no ``REDIS_URL``): deliveries are sent by a background thread of the server.

Like the uploads runner, never by the request or the job that published the event: the
publisher only wakes this thread. Every ``WEBHOOK_DISPATCH_INTERVAL``, or at once when woken,
it attempts every ready delivery one after the other (the same services as the workers).
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connections

from webhooks.delivery import deliveries_due_ids, delivery_attempt

logger = logging.getLogger(__name__)


class EmbeddedSender:
    def __init__(self) -> None:
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._loop, name="webhooks-embedded-sender", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        self.start()
        self._wake.set()

    def send_due(self) -> int:
        """One pass: attempt every delivery that is ready now. Returns how many were tried."""
        ids = deliveries_due_ids()
        for delivery_id in ids:
            delivery_attempt(delivery_id=delivery_id)
        return len(ids)

    def _loop(self) -> None:
        interval = settings.WEBHOOK_DISPATCH_INTERVAL.total_seconds()
        while not self._stop.is_set():
            self._wake.wait(timeout=interval)
            self._wake.clear()
            try:
                while self.send_due() and not self._stop.is_set():
                    pass
            except Exception:
                logger.exception("embedded webhook sender: pass failed")
            finally:
                close_old_connections()
        connections.close_all()


embedded_sender = EmbeddedSender()
