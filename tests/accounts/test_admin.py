"""Operators in the Django admin: the user pages, and the read-only viewer."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import RefreshTokenRecord, User
from accounts.services import operators_bootstrap, session_start
from billing.models import Plan
from gateway.env import Rate
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client() -> Client:
    admin = UserFactory(email="root@example.com", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def viewer_client() -> Client:
    """The viewer logs in through the admin's own login form, with their password."""
    UserFactory(email="viewer@example.com")
    operators_bootstrap(admin_email="", viewer_email="viewer@example.com")
    client = Client()
    login = client.post(
        "/admin/login/?next=/admin/",
        {"username": "viewer@example.com", "password": DEFAULT_PASSWORD},
    )
    assert login.status_code == 302
    assert login["Location"] == "/admin/"
    return client


def test_the_user_change_page_shows_no_password_hash(superuser_client):
    user = UserFactory(email="ada@example.com")

    page = superuser_client.get(f"/admin/accounts/user/{user.pk}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "ada@example.com" in html
    assert user.password not in html
    assert "argon2" not in html
    assert "algorithm" not in html  # not even the masked summary
    assert f"/admin/accounts/user/{user.pk}/password/" in html


def test_the_set_password_page_works_for_email_users(superuser_client):
    user = UserFactory()
    refresh = session_start(user=user).refresh

    response = superuser_client.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": "an operator chosen one", "password2": "an operator chosen one"},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("an operator chosen one")
    # The password changed, so the sessions opened with the old one are over.
    assert (
        Client()
        .post("/auth/token/refresh", {"refresh": refresh}, content_type="application/json")
        .status_code
        == 401
    )


def test_the_add_form_takes_an_email_and_a_password_twice(superuser_client):
    response = superuser_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "New@Example.com",
            "usable_password": "true",
            "password1": "a fine admin password",
            "password2": "a fine admin password",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert user.check_password("a fine admin password")
    assert user.plan.code == "free"


def test_the_add_form_refuses_an_email_taken_in_another_case(superuser_client):
    UserFactory(email="ada@example.com")

    response = superuser_client.post(
        "/admin/accounts/user/add/",
        {"email": "ADA@example.com", "usable_password": "false"},
    )

    assert response.status_code == 200
    assert "An account with this email already exists." in response.content.decode()
    assert User.objects.filter(email__iexact="ada@example.com").count() == 1


def test_users_are_searched_by_email_and_filtered_by_plan_and_staff(superuser_client):
    pro = Plan.objects.create(code="pro", name="Pro", channel_limit=5, requests_per_minute=300)
    UserFactory(email="alice@example.com", plan=pro)
    UserFactory(email="bob@example.com", is_staff=True)

    search = superuser_client.get("/admin/accounts/user/", {"q": "alice"})
    by_plan = superuser_client.get("/admin/accounts/user/", {"plan__id__exact": pro.pk})
    by_staff = superuser_client.get("/admin/accounts/user/", {"is_staff__exact": "1"})

    assert [u.email for u in search.context["cl"].result_list] == ["alice@example.com"]
    assert [u.email for u in by_plan.context["cl"].result_list] == ["alice@example.com"]
    assert sorted(u.email for u in by_staff.context["cl"].result_list) == [
        "bob@example.com",
        "root@example.com",
    ]


def test_refresh_token_records_are_listed_without_the_token_itself(superuser_client):
    user = UserFactory()
    refresh = session_start(user=user).refresh
    record = RefreshTokenRecord.objects.get()

    listing = superuser_client.get("/admin/accounts/refreshtokenrecord/")
    page = superuser_client.get(f"/admin/accounts/refreshtokenrecord/{record.pk}/change/")

    assert listing.status_code == page.status_code == 200
    assert record.jti in page.content.decode()
    for content in (listing.content.decode(), page.content.decode()):
        assert refresh not in content
        assert refresh.rsplit(".", 1)[1] not in content  # not even the signature


def test_the_viewer_can_open_the_admin_but_cannot_change_anything(viewer_client):
    user = UserFactory(email="ada@example.com", name="Ada")
    plan = user.plan
    before = User.objects.values().get(pk=user.pk)

    index = viewer_client.get("/admin/")
    users = viewer_client.get("/admin/accounts/user/")
    plans = viewer_client.get("/admin/billing/plan/")
    user_page = viewer_client.get(f"/admin/accounts/user/{user.pk}/change/")
    plan_page = viewer_client.get(f"/admin/billing/plan/{plan.pk}/change/")
    change_user = viewer_client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        {"email": "evil@example.com", "name": "Mallory", "is_active": "on", "plan": plan.pk},
    )
    change_plan = viewer_client.post(
        f"/admin/billing/plan/{plan.pk}/change/",
        {"code": "free", "name": "Free", "channel_limit": 99, "requests_per_minute": 9999},
    )
    add_user = viewer_client.post("/admin/accounts/user/add/", {"email": "x@example.com"})
    delete_user = viewer_client.post(f"/admin/accounts/user/{user.pk}/delete/", {"post": "yes"})
    set_password = viewer_client.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": "taken over now!", "password2": "taken over now!"},
    )

    assert [r.status_code for r in (index, users, plans, user_page, plan_page)] == [200] * 5
    assert "ada@example.com" in users.content.decode()
    assert user_page.context["has_change_permission"] is False
    assert "Set a new password" not in user_page.content.decode()
    assert [r.status_code for r in (change_user, change_plan, add_user, delete_user)] == [403] * 4
    assert set_password.status_code == 403
    assert User.objects.values().get(pk=user.pk) == before
    plan.refresh_from_db()
    assert (plan.channel_limit, plan.requests_per_minute) == (2, 60)
    assert not User.objects.filter(email="x@example.com").exists()


def test_the_viewers_group_holds_exactly_the_view_permissions():
    UserFactory(email="viewer@example.com")

    operators_bootstrap(admin_email="", viewer_email="viewer@example.com")

    viewer = User.objects.get(email="viewer@example.com")
    granted = set(viewer.get_all_permissions())
    every_view = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.filter(codename__startswith="view_")
    }
    assert granted == every_view
    assert "accounts.view_user" in granted
    assert "billing.view_plan" in granted
    assert (viewer.is_staff, viewer.is_superuser) == (True, False)


def test_the_admin_login_is_limited_like_the_api_login(settings):
    settings.LOGIN_LIMIT_PER_ACCOUNT = Rate(limit=2, period=900)
    operators_bootstrap(admin_email="", viewer_email="viewer@example.com")
    client = Client()
    for _ in range(2):
        wrong = client.post(
            "/admin/login/", {"username": "viewer@example.com", "password": "wrong-password"}
        )
        assert wrong.status_code == 200
        assert "Too many failed logins" not in wrong.content.decode()

    refused = client.post(
        "/admin/login/", {"username": "VIEWER@example.com", "password": DEFAULT_PASSWORD}
    )

    assert refused.status_code == 200
    assert re.search(
        r"Too many failed logins\. Try again in \d+ minutes\.", refused.content.decode()
    )
    assert "_auth_user_id" not in client.session
