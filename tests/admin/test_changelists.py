"""Every list page of the operator panel: same queries for 3 rows and for 200, and no secret
on any page."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import PasswordResetToken, RefreshTokenRecord, User
from billing.models import Plan, PlanUsage
from billing.services import month_start
from channels_app.models import Channel, GoogleProject, OAuthState
from core import crypto
from quotas.models import QuotaLedger
from uploads.models import Job, JobStatus, StoredAsset

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "/admin/accounts/user/",
    "/admin/accounts/passwordresettoken/",
    "/admin/accounts/refreshtokenrecord/",
    "/admin/billing/plan/",
    "/admin/billing/planusage/",
    "/admin/channels_app/channel/",
    "/admin/channels_app/oauthstate/",
    "/admin/channels_app/googleproject/",
    "/admin/uploads/job/",
    "/admin/uploads/job/?status__exact=FAILED",
    "/admin/uploads/storedasset/",
    "/admin/quotas/quotaledger/",
]
ROWS = 200
MAX_QUERIES = 10


def _populate(start: int, stop: int) -> None:
    """Users ``start..stop``, each with one row of every model the panel lists."""
    now = timezone.now()
    free = Plan.objects.get(code="free")
    password = make_password(None)
    users = User.objects.bulk_create(
        User(email=f"bulk{n}@example.com", plan=free, password=password) for n in range(start, stop)
    )
    Plan.objects.bulk_create(
        Plan(code=f"bulk-{n}", name=f"Bulk {n}", channel_limit=1, requests_per_minute=60)
        for n in range(start, stop)
    )
    channels = Channel.objects.bulk_create(
        Channel(user=user, platform="youtube", provider_channel_id=f"UC{user.pk}", status="ACTIVE")
        for user in users
    )
    Job.objects.bulk_create(
        Job(
            user=channel.user,
            channel=channel,
            platform="youtube",
            asset_url="https://cdn.example.com/a.mp4",
            title="A video",
            status=JobStatus.FAILED,
            error={"code": "upload_rejected", "message": "No."},
        )
        for channel in channels
    )
    PlanUsage.objects.bulk_create(
        PlanUsage(user=user, period_start=month_start(), uploads=1) for user in users
    )
    PasswordResetToken.objects.bulk_create(
        PasswordResetToken(
            user=user, token_hash=f"{user.pk.hex}{'0' * 32}", expires_at=now + timedelta(hours=1)
        )
        for user in users
    )
    RefreshTokenRecord.objects.bulk_create(
        RefreshTokenRecord(
            user=user, jti=user.pk.hex, family=uuid.uuid4(), expires_at=now + timedelta(days=1)
        )
        for user in users
    )
    OAuthState.objects.bulk_create(
        OAuthState(
            user=user,
            platform="youtube",
            nonce_hash=f"{user.pk.hex}{'1' * 32}",
            code_verifier_encrypted="v1.sealed",
            expires_at=now + timedelta(minutes=10),
        )
        for user in users
    )
    GoogleProject.objects.bulk_create(
        GoogleProject(
            owner=user,
            name=f"Project {user.pk}",
            client_id=f"1-{user.pk.hex}.apps.googleusercontent.com",
            client_secret_encrypted="v1.sealed-secret",
            daily_uploads=100,
            daily_units=10000,
        )
        for user in users
    )
    StoredAsset.objects.bulk_create(
        StoredAsset(
            user=user,
            key=f"u/{user.pk}/a.mp4",
            filename="a.mp4",
            content_type="video/mp4",
            size_bytes=1024,
        )
        for user in users
    )
    QuotaLedger.objects.bulk_create(
        QuotaLedger(project_key=f"youtube:{user.pk}", day=now.date(), uploads_spent=1)
        for user in users
    )


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def test_every_list_page_costs_the_same_queries_for_200_rows(operator_client):
    _populate(0, 3)
    for url in CHANGELISTS:
        operator_client.get(url)  # warm the session and content-type caches
    few = {url: _queries(operator_client, url) for url in CHANGELISTS}
    _populate(3, ROWS)

    many = {url: _queries(operator_client, url) for url in CHANGELISTS}

    assert many == few
    assert max(many.values()) <= MAX_QUERIES, many
    assert Job.objects.filter(status=JobStatus.FAILED).count() == ROWS


def test_the_user_list_shows_plan_usage_channels_and_jobs(operator_client):
    _populate(0, 2)
    user = User.objects.get(email="bulk1@example.com")
    Channel.objects.create(user=user, platform="spotify", status="PENDING")

    page = operator_client.get("/admin/accounts/user/", {"q": "bulk1@"})

    (row,) = page.context["cl"].result_list
    assert (row.usage_this_month, row.channel_total, row.job_total) == (1, 2, 1)
    html = page.content.decode()
    assert 'name="form-0-is_active"' in html  # the active toggle


def test_the_active_toggle_deactivates_a_user(operator_client):
    _populate(0, 1)
    user = User.objects.get(email="bulk0@example.com")

    response = operator_client.post(
        "/admin/accounts/user/?q=bulk0@",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(user.pk),
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_active is False


def test_no_page_shows_a_token_hash_or_sealed_secret(operator_client):
    _populate(0, 1)
    channel = Channel.objects.get()
    channel.refresh_token_encrypted = crypto.encrypt(
        "1//live-grant", associated_data=str(channel.id)
    )
    channel.save()
    token = PasswordResetToken.objects.get()
    state = OAuthState.objects.get()
    project = GoogleProject.objects.get()
    project.client_secret_encrypted = crypto.encrypt(
        "GOCSPX-creators-secret", associated_data=str(project.id)
    )
    project.save()
    pages = [
        f"/admin/channels_app/googleproject/{project.pk}/change/",
        "/admin/channels_app/googleproject/",
        f"/admin/channels_app/channel/{channel.pk}/change/",
        f"/admin/accounts/passwordresettoken/{token.pk}/change/",
        f"/admin/channels_app/oauthstate/{state.pk}/change/",
        "/admin/channels_app/channel/",
        "/admin/accounts/passwordresettoken/",
        "/admin/accounts/refreshtokenrecord/",
        "/admin/channels_app/oauthstate/",
    ]

    for url in pages:
        html = operator_client.get(url).content.decode()
        for secret in (
            channel.refresh_token_encrypted,
            "1//live-grant",
            token.token_hash,
            state.nonce_hash,
            state.code_verifier_encrypted,
            project.client_secret_encrypted,
            "GOCSPX-creators-secret",
        ):
            assert secret not in html, url


def test_a_job_page_shows_the_error_the_result_and_links_to_user_and_channel(operator_client):
    _populate(0, 1)
    job = Job.objects.get()
    Job.objects.filter(pk=job.pk).update(
        upload_session_uri="https://upload.example.com/session?upload_id=secret-session",
        result={"providerId": "vid123", "url": "https://youtu.be/vid123"},
    )

    html = operator_client.get(f"/admin/uploads/job/{job.pk}/change/").content.decode()

    assert "upload_rejected" in html
    assert "https://youtu.be/vid123" in html
    assert f'href="/admin/accounts/user/{job.user_id}/change/"' in html
    assert f'href="/admin/channels_app/channel/{job.channel_id}/change/"' in html
    assert "secret-session" not in html  # the resumable session is a credential
    assert 'name="_save"' not in html  # nothing to save: jobs change through actions
    assert 'name="_continue"' not in html


def test_a_google_project_is_read_only_in_the_admin_for_viewers_and_operators(
    operator_client, viewer_client
):
    _populate(0, 1)
    project = GoogleProject.objects.get()
    page = f"/admin/channels_app/googleproject/{project.pk}/change/"

    for client in (operator_client, viewer_client):
        html = client.get(page).content.decode()
        assert project.client_id in html
        assert 'name="_save"' not in html
        assert "deletelink" not in html
        assert client.post(page, {"name": "Renamed"}).status_code == 403
        assert client.get("/admin/channels_app/googleproject/add/").status_code == 403

    assert GoogleProject.objects.get().name == project.name
