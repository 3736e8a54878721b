"""Celery tasks of podcasts: thin wrappers over the services. The hub ping task lives beside
the hub client in ``podcasts.websub``."""

from __future__ import annotations

from celery import shared_task

from podcasts.services import episodes_publish_due


@shared_task(ignore_result=True)
def episodes_publish_due_task() -> int:
    """Beat: make every due scheduled episode live (each once, however often this runs)."""
    return len(episodes_publish_due())
