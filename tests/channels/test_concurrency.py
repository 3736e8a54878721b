"""Races that only a real database shows: two connects at the plan limit, one state twice, one
held consent finished twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from accounts.models import User
from billing.services import plans_seed
from channels_app.models import Channel, OAuthFlow
from channels_app.services import limits
from channels_app.services.connect import channel_connect_manual
from core.errors import Forbidden
from providers.registry import get_provider
from tests.factories import ManualChannelFactory, UserFactory
from tests.providers.youtube.fake_google import youtube_channel
from tests.support.oauth_flows import finish_oauth, follow_to_gateway, frontend_query, start_oauth

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite has none)"
    ),
]


def run_together(*calls: Callable[[], object]) -> list[object]:
    """Run ``calls`` in threads released at the same instant; results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def worker(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.fixture
def slow_limit_lookup(monkeypatch) -> None:
    """A slow plan-limit lookup, so racing requests would all have counted before any inserts."""
    real_limit = limits.channel_limit_for

    def slow_limit(locked_user):
        time.sleep(0.3)
        return real_limit(locked_user)

    monkeypatch.setattr(limits, "channel_limit_for", slow_limit)


def creator_with_consent(fake_google) -> tuple[User, APIClient, str]:
    """A free user, their API client, and the redirect of a consent they started."""
    plans_seed()
    user = UserFactory(plan=None)
    fake_google.add_account("creator@gmail.com", youtube_channel())
    client = APIClient()
    client.force_authenticate(user)
    start = start_oauth(client)
    redirect = fake_google.consent(start["authorizationUrl"], account="creator@gmail.com")
    return user, client, redirect


def test_two_concurrent_connects_at_the_limit_one_wins(slow_limit_lookup):
    # Given a free user with one channel left before the limit of two (and a slow lookup)
    plans_seed()
    user = UserFactory(plan=None)
    ManualChannelFactory(user=user)
    provider = get_provider("apple_music")

    def connect() -> object:
        return channel_connect_manual(user=user, provider=provider)

    # When two connects race
    results = run_together(connect, connect)

    # Then exactly one wins and the other is refused by the plan limit
    created = [r for r in results if isinstance(r, Channel)]
    refused = [r for r in results if isinstance(r, Forbidden)]
    assert len(created) == 1, results
    assert len(refused) == 1, results
    assert refused[0].code == "plan_limit_reached"
    assert Channel.objects.filter(user=user).count() == 2


def test_one_consent_redirect_delivered_twice_at_once_connects_once(fake_google):
    # Given a user's consent redirect (state + code)
    user, _, redirect = creator_with_consent(fake_google)

    # When the browser delivers it twice concurrently
    results = run_together(
        lambda: frontend_query(follow_to_gateway(APIClient(), redirect)),
        lambda: frontend_query(follow_to_gateway(APIClient(), redirect)),
    )

    # Then the state is claimed once: one held flow, one invalid_state, one code exchange
    assert sorted(next(iter(r)) for r in results) == ["error", "oauthFlow"], results
    assert {"error": "invalid_state"} in results
    assert OAuthFlow.objects.filter(user=user).count() == 1
    assert len(fake_google.requests_to("/token")) == 1


def test_one_held_consent_finished_twice_at_once_connects_once(fake_google, slow_limit_lookup):
    # Given a user's consent held by the callback (and a slow limit lookup)
    user, client, redirect = creator_with_consent(fake_google)
    callback = follow_to_gateway(client, redirect)

    # When the frontend finishes it twice concurrently (two tabs)
    results = run_together(
        lambda: finish_oauth(client, callback).status_code,
        lambda: finish_oauth(client, callback).status_code,
    )

    # Then one finish connects the channel and the other finds the flow gone
    assert sorted(results) == [201, 404], results
    assert Channel.objects.filter(user=user).count() == 1
    assert not OAuthFlow.objects.exists()
    assert fake_google.revoked_tokens == []
