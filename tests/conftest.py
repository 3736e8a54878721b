"""Fixtures shared by every test module."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from core.redis import get_redis
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


@pytest.fixture(autouse=True)
def _fresh_redis_client() -> None:
    get_redis.cache_clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


# Fakes of external platforms, available to every test module as fixtures.
pytest_plugins = ["tests.fakes.google", "tests.fakes.soundcloud"]


@pytest.fixture
def celery_eager() -> Iterator[None]:
    """Run ``.delay()`` in-process even when a Redis broker is configured."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = previous


# The local fake Stripe API (billing).
pytest_plugins.append("tests.fakes.stripe_api")
