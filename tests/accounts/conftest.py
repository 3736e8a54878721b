from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _tasks_run_inline(celery_eager: None) -> None:
    """forgot-password enqueues a task; run it in the test, also when REDIS_URL is set."""
