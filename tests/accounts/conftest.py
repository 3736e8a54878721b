from __future__ import annotations

from collections.abc import Iterator

import pytest

from gateway.celery import app as celery_app


@pytest.fixture(autouse=True)
def _tasks_run_inline() -> Iterator[None]:
    """forgot-password enqueues a task; run it in the test, also when REDIS_URL is set."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous
