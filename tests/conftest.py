"""Fixtures shared by every test module."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import User
from billing.models import Plan
from billing.services import plans_seed
from channels_app.models import Channel
from core import tasks as core_tasks
from core.cache_outage import cache_outage, local_counts
from core.kept_responses import kept_responses_clear
from core.redis import get_redis
from core.tasks import background
from gateway.celery import app as celery_app
from tests.factories import ChannelFactory, UserFactory
from tests.fakes.asset_server import AssetServer, write_random_file
from tests.providers.youtube import CHUNK


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
    kept_responses_clear()
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
pytest_plugins = [
    "tests.providers.youtube.fake_google",
    "tests.providers.youtube.fake_upload",
    "tests.providers.soundcloud.fake_soundcloud",
]


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


# -- people, plans and channels --------------------------------------------------------------
@pytest.fixture
def plans(db) -> dict[str, Plan]:
    """The plan catalogue, seeded, by code."""
    plans_seed()
    return {plan.code: plan for plan in Plan.objects.all()}


@pytest.fixture
def user(plans) -> User:
    return UserFactory(plan=plans["free"])


@pytest.fixture
def other_user(plans) -> User:
    return UserFactory(plan=plans["free"])


@pytest.fixture
def agency_user(plans) -> User:
    """A user on the Agency plan (own Google projects, unlimited uploads)."""
    return UserFactory(plan=plans["agency"])


@pytest.fixture
def agency_api(client_for, agency_user) -> APIClient:
    return client_for(agency_user)


@pytest.fixture
def client_for(plans) -> Callable[[User], APIClient]:
    """An API client authenticated as the given user."""

    def make(user: User) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def api(client_for, user) -> APIClient:
    return client_for(user)


@pytest.fixture
def auth_client(client_for, user) -> APIClient:
    return client_for(user)


@pytest.fixture
def channel(user) -> Channel:
    """``user``'s ACTIVE YouTube channel with a grant."""
    return ChannelFactory(user=user)


# -- the upload pipeline -----------------------------------------------------------------------
@dataclass
class Asset:
    path: Path
    size: int
    sha256: str
    server: AssetServer

    @property
    def url(self) -> str:
        return self.server.url


def _asset(tmp_path: Path, settings, size: int) -> Iterator[Asset]:
    path = tmp_path / "asset.mp4"
    sha = write_random_file(path, size)
    with AssetServer(path) as server:
        settings.OUTBOUND_ALLOWED_HOSTS = [server.host]
        yield Asset(path=path, size=size, sha256=sha, server=server)


@pytest.fixture
def asset(tmp_path, settings) -> Iterator[Asset]:
    """A 1.1 MiB asset on a local asset host (five chunks, the last one short)."""
    yield from _asset(tmp_path, settings, 4 * CHUNK + 100_000)


@pytest.fixture
def big_asset(tmp_path, settings) -> Iterator[Asset]:
    """The 50 MB asset of the issue, generated per test (never committed)."""
    yield from _asset(tmp_path, settings, 50 * 1000 * 1000)


@pytest.fixture
def events(monkeypatch) -> list[tuple[str, int]]:
    """Every published job event, as (status, progress)."""
    seen: list[tuple[str, int]] = []
    monkeypatch.setattr(
        "uploads.events.publish_job_event", lambda job: seen.append((job.status, job.progress))
    )
    return seen


# The local fake Stripe API (billing).
pytest_plugins.append("tests.fakes.stripe_api")
