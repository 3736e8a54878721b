"""Handing work to Celery from a request without letting the hand-over fail the request."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task

logger = logging.getLogger(__name__)


def enqueue(task: Task, *args: Any) -> bool:
    """Send ``task``; a failure is logged, never raised. Returns whether it was handed over.

    Without Redis tasks run eagerly inside the caller, so their errors (and Celery's
    autoretry ``Retry``) surface here; with Redis a broker outage does. The request that asked
    for background work (forgot-password, refresh-all) answers the same either way: its answer
    must not reveal or depend on what the background work meets.
    """
    try:
        task.delay(*args)
    except Exception:
        logger.exception("task %s was not run or queued", task.name)
        return False
    return True
