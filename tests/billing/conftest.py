"""Billing fixtures: the seeded plans, a creator on free, and the local fake Stripe."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from billing.services import plans_seed
from tests.factories import UserFactory


@pytest.fixture
def plans(db) -> None:
    plans_seed()


@pytest.fixture
def user(plans):
    return UserFactory()


@pytest.fixture
def auth_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client
