"""Operators in the admin: a superuser, a viewer (group "Viewers"), and a seeded history."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from accounts.services import operators_bootstrap
from billing.services import plans_seed
from tests.factories import UserFactory


@pytest.fixture
def plans(db) -> None:
    plans_seed()


@pytest.fixture
def operator(plans) -> User:
    return UserFactory(email="root@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def viewer(plans) -> User:
    UserFactory(email="viewer@example.com")
    operators_bootstrap(admin_email="", viewer_email="viewer@example.com")
    return User.objects.get(email="viewer@example.com")


@pytest.fixture
def operator_client(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


@pytest.fixture
def viewer_client(viewer) -> Client:
    client = Client()
    client.force_login(viewer)
    return client
