"""The WebSocket section's publisher process (spawned: it sets Django up itself, so this
module imports nothing of Django at the top).

Each event carries its send time: the job's id is made from the clock, nanoseconds in its upper
64 bits, so the receiving client reads the latency off the ``jobId``.
"""

from __future__ import annotations

import time
import uuid


def _stamped_id(sequence: int) -> uuid.UUID:
    return uuid.UUID(int=(time.time_ns() << 64) | sequence)


def sent_ns(job_id: str) -> int:
    return uuid.UUID(job_id).int >> 64


def publish(user_ids: list[str], rounds: int, rate: int) -> None:
    """Publisher process: one ``job:update`` per user per round, paced at ``rate`` a second."""
    import django

    django.setup()
    from uploads.events import publish_job_event
    from uploads.models import Job, JobStatus

    # Warm this process's event loop and Redis pool up on a group nobody listens to.
    publish_job_event(Job(id=uuid.uuid4(), user_id=uuid.uuid4(), status=JobStatus.RUNNING))
    interval = 1 / rate
    next_at = time.monotonic()
    sequence = 0
    for progress in range(1, rounds + 1):
        for user_id in user_ids:
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            next_at += interval
            sequence += 1
            publish_job_event(
                Job(id=_stamped_id(sequence), user_id=user_id, status=JobStatus.RUNNING,
                    progress=progress)
            )  # fmt: skip
