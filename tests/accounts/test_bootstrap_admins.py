"""``manage.py bootstrap_admins``: operator accounts from the environment, idempotently."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _run() -> str:
    out = StringIO()
    call_command("bootstrap_admins", stdout=out)
    return out.getvalue()


def _state() -> list[tuple]:
    return list(
        User.objects.order_by("email").values_list(
            "email", "is_staff", "is_superuser", "is_active", "password", "groups__name"
        )
    )


def test_new_operators_are_created_without_a_usable_password(settings):
    settings.ADMIN_EMAIL = "Root@Example.com"
    settings.ADMIN_VIEWER_EMAIL = "viewer@example.com"

    output = _run()

    root = User.objects.get(email="root@example.com")
    viewer = User.objects.get(email="viewer@example.com")
    assert (root.is_staff, root.is_superuser) == (True, True)
    assert (viewer.is_staff, viewer.is_superuser) == (True, False)
    assert list(viewer.groups.values_list("name", flat=True)) == ["Viewers"]
    assert not root.has_usable_password()
    assert not viewer.has_usable_password()
    assert root.plan.code == "free"
    assert "superuser root@example.com: created, no password yet: use forgot-password" in output
    assert "viewer viewer@example.com: created" in output


def test_running_twice_changes_nothing(settings):
    settings.ADMIN_EMAIL = "root@example.com"
    settings.ADMIN_VIEWER_EMAIL = "viewer@example.com"
    _run()
    first = _state()
    permissions = set(Group.objects.get(name="Viewers").permissions.all())

    output = _run()

    assert _state() == first
    assert set(Group.objects.get(name="Viewers").permissions.all()) == permissions
    assert Group.objects.count() == 1
    assert "superuser root@example.com: updated" in output


def test_existing_accounts_are_promoted_and_keep_their_password(settings):
    root = UserFactory(email="root@example.com")
    viewer = UserFactory(email="viewer@example.com", is_superuser=True)
    settings.ADMIN_EMAIL = "ROOT@example.com"
    settings.ADMIN_VIEWER_EMAIL = "viewer@example.com"

    _run()

    root.refresh_from_db()
    viewer.refresh_from_db()
    assert (root.is_staff, root.is_superuser) == (True, True)
    assert (viewer.is_staff, viewer.is_superuser) == (True, False)
    assert root.check_password(DEFAULT_PASSWORD)
    assert viewer.check_password(DEFAULT_PASSWORD)
    assert User.objects.count() == 2


def test_without_the_variables_nothing_happens(settings):
    settings.ADMIN_EMAIL = ""
    settings.ADMIN_VIEWER_EMAIL = ""

    output = _run()

    assert "nothing to do" in output
    assert not User.objects.exists()
    assert not Group.objects.exists()
