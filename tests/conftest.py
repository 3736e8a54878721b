"""Fixtures shared by every test module."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from core import tasks as core_tasks
from core.cache_outage import cache_outage, local_counts
from core.redis import get_redis
from core.tasks import background
from gateway.celery import app as celery_app


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``redis`` skip without Redis, except under CI where that is a failure."""
    if settings.REDIS_URL:
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError("CI=true but REDIS_URL is not set: the Redis tests must run.")
    skip = pytest.mark.skip(reason="REDIS_URL is not set (Redis tests run in CI)")
    for item in items:
        if "redis" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolated_cache() -> None:
    """Throttle counters and cached values never leak from one test into another."""
    cache.clear()
    local_counts.clear()
    cache_outage.answered()


@pytest.fixture(autouse=True)
def _background_tasks_finish() -> Iterator[None]:
    """Tasks a test queued in embedded mode run before its database goes away."""
    yield
    background.close()


@pytest.fixture(autouse=True)
def _fresh_redis_client() -> None:
    get_redis.cache_clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


# Fakes of external platforms, available to every test module as fixtures.
pytest_plugins = ["tests.fakes.google", "tests.fakes.soundcloud"]


class _InlineBackground:
    """Stands in for ``core.tasks.background``: ``.delay()``, eager, inside the caller."""

    submit = staticmethod(core_tasks.celery_send)


@pytest.fixture
def celery_eager(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run ``.delay()`` and ``core.tasks.enqueue`` in-process, with or without Redis."""
    monkeypatch.setattr(core_tasks, "background", _InlineBackground())
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = previous
