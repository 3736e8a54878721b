from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from billing.models import Plan
from billing.services import plans_seed
from tests.channels.factories import UserFactory


@pytest.fixture
def plans(db) -> dict[str, Plan]:
    plans_seed()
    return {plan.code: plan for plan in Plan.objects.all()}


@pytest.fixture
def user(plans) -> User:
    return UserFactory(plan=plans["free"])


@pytest.fixture
def other_user(plans) -> User:
    return UserFactory(plan=plans["free"])


@pytest.fixture
def client_for():
    def make(user: User) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def api(client_for, user) -> APIClient:
    return client_for(user)
