"""A YouTube channel connected through the creator's own Google project: the consent, the code
exchange, refreshes, revocation and uploads all act as that project's client, against the fake
Google (which binds every grant to the client that obtained it) and the fake upload endpoint."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from billing.models import PlanUsage
from channels_app.models import Channel, ChannelStatus, GoogleProject, OAuthFlow
from channels_app.quota import channel_quota_key
from channels_app.services.grants import channel_grant_decrypt
from channels_app.services.oauth_flows import oauth_flows_purge
from core import crypto
from tests.factories import ChannelFactory, GoogleProjectFactory, JobFactory
from tests.providers.youtube.fake_google import CLIENT_ID, REDIRECT_URI, youtube_channel
from tests.support.oauth_flows import (
    connect_youtube,
    consent_youtube,
    follow_to_gateway,
    frontend_query,
    start_oauth,
)
from uploads.models import JobStatus
from uploads.services.pipeline import run_job

pytestmark = pytest.mark.django_db

ACCOUNT = "creator@gmail.com"
CHANNEL_ID = "UCown00000000000000000001"
OWN_CLIENT_ID = "987654321098-ownclient.apps.googleusercontent.com"
OWN_SECRET = "GOCSPX-own-project-secret-01"


@pytest.fixture
def google(fake_google, settings):
    """Fake Google knowing the creator's own client; the server's shared client is not set up,
    so nothing below can work through it by accident."""
    fake_google.register_client(OWN_CLIENT_ID, OWN_SECRET, REDIRECT_URI)
    fake_google.add_account(ACCOUNT, youtube_channel(CHANNEL_ID, title="Own Channel"))
    settings.YOUTUBE_CLIENT_ID = settings.YOUTUBE_CLIENT_SECRET = ""
    return fake_google


@pytest.fixture
def project_id(agency_api, google) -> str:
    response = agency_api.post(
        "/api/v1/google-projects",
        {"name": "Studio", "clientId": OWN_CLIENT_ID, "clientSecret": OWN_SECRET},
        format="json",
    )
    assert response.status_code == 201
    return response.json()["id"]


def test_a_channel_connected_through_the_creators_project_lives_on_its_client(
    agency_api, agency_user, google, project_id
):
    start = start_oauth(agency_api, googleProjectId=project_id)
    assert parse_qs(urlsplit(start["authorizationUrl"]).query)["client_id"] == [OWN_CLIENT_ID]

    finished = connect_youtube(agency_api, google, account=ACCOUNT, googleProjectId=project_id)

    assert finished.status_code == 201
    assert finished.json()["googleProjectId"] == project_id
    channel = Channel.objects.get(user=agency_user)
    assert channel.google_project_id is not None
    assert str(channel.google_project_id) == project_id
    assert channel_quota_key(channel) == f"youtube:project:{project_id}"
    [refresh_token] = google.live_refresh_tokens()
    assert channel_grant_decrypt(channel) == refresh_token
    assert google.token_client_ids("authorization_code") == [OWN_CLIENT_ID]
    assert agency_api.get(f"/api/v1/google-projects/{project_id}").json()["channelCount"] == 1

    refreshed = agency_api.post(f"/api/v1/channels/{channel.id}/refresh")

    assert refreshed.status_code == 200
    assert refreshed.json()["status"] == "ACTIVE"
    assert google.token_client_ids("refresh_token") == [OWN_CLIENT_ID]

    assert agency_api.delete(f"/api/v1/google-projects/{project_id}").status_code == 409
    assert agency_api.delete(f"/api/v1/channels/{channel.id}").status_code == 204

    assert google.revoked_tokens == [refresh_token]
    assert google.live_refresh_tokens() == []
    assert agency_api.delete(f"/api/v1/google-projects/{project_id}").status_code == 204


def test_the_shared_client_connects_as_before_beside_an_own_project(
    agency_api, agency_user, google, project_id, settings
):
    settings.YOUTUBE_CLIENT_ID, settings.YOUTUBE_CLIENT_SECRET = CLIENT_ID, "fake-client-secret"

    finished = connect_youtube(agency_api, google, account=ACCOUNT)

    assert finished.status_code == 201
    assert finished.json()["googleProjectId"] is None
    assert google.token_client_ids("authorization_code") == [CLIENT_ID]
    assert channel_quota_key(Channel.objects.get(user=agency_user)) == "youtube:shared"


def test_an_account_connected_through_the_shared_client_is_409_and_the_spare_grant_revoked(
    agency_api, agency_user, google, project_id, settings
):
    # Given the creator's account connected through the server's shared client
    settings.YOUTUBE_CLIENT_ID, settings.YOUTUBE_CLIENT_SECRET = CLIENT_ID, "fake-client-secret"
    assert connect_youtube(agency_api, google, account=ACCOUNT).status_code == 201
    [shared_grant] = google.live_refresh_tokens()

    # When they connect the same account again through their own project
    again = connect_youtube(agency_api, google, account=ACCOUNT, googleProjectId=project_id)

    # Then it is refused, the project's new grant is revoked (as the project's client) and the
    # working connection keeps its own
    assert again.status_code == 409
    assert again.json()["errors"][0]["code"] == "already_connected"
    assert google.live_refresh_tokens() == [shared_grant]
    [spare] = google.revoked_tokens
    assert [g.client_id for g in google.grants if g.refresh_token == spare] == [OWN_CLIENT_ID]
    channel = Channel.objects.get(user=agency_user)
    assert channel.google_project_id is None
    assert channel_grant_decrypt(channel) == shared_grant
    assert not OAuthFlow.objects.exists()


def test_the_purge_revokes_an_expired_consent_of_another_client_than_the_connection(
    agency_api, google, project_id, settings
):
    settings.YOUTUBE_CLIENT_ID, settings.YOUTUBE_CLIENT_SECRET = CLIENT_ID, "fake-client-secret"
    assert connect_youtube(agency_api, google, account=ACCOUNT).status_code == 201
    [shared_grant] = google.live_refresh_tokens()
    consent_youtube(agency_api, google, account=ACCOUNT, googleProjectId=project_id)
    [spare] = set(google.live_refresh_tokens()) - {shared_grant}
    OAuthFlow.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert oauth_flows_purge() == 1

    assert google.revoked_tokens == [spare]
    assert google.live_refresh_tokens() == [shared_grant]


def test_connecting_through_a_project_needs_the_agency_plan(
    agency_api, agency_user, google, project_id, plans
):
    agency_user.plan = plans["pro"]
    agency_user.save(update_fields=["plan"])

    response = agency_api.post(
        "/api/v1/channels/connect",
        {"platform": "youtube", "googleProjectId": project_id},
        format="json",
    )

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "plan_feature_unavailable"
    assert google.requests_to("/token") == []


@pytest.mark.parametrize("platform", ["soundcloud", "spotify"])
def test_only_youtube_connects_through_an_own_project(agency_api, project_id, platform):
    response = agency_api.post(
        "/api/v1/channels/connect",
        {"platform": platform, "googleProjectId": project_id},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "googleProjectId"
    assert not Channel.objects.exists()


def test_a_project_holding_a_consent_cannot_be_deleted_and_the_purge_revokes_as_its_client(
    agency_api, google, project_id
):
    consent_youtube(agency_api, google, account=ACCOUNT, googleProjectId=project_id)
    [held_grant] = google.live_refresh_tokens()

    held = agency_api.delete(f"/api/v1/google-projects/{project_id}")
    OAuthFlow.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    purged = oauth_flows_purge()

    assert held.status_code == 409
    assert held.json()["errors"][0]["code"] == "google_project_in_use"
    assert purged == 1
    assert google.revoked_tokens == [held_grant]
    assert agency_api.delete(f"/api/v1/google-projects/{project_id}").status_code == 204


def test_a_consent_through_a_project_deleted_meanwhile_connects_nothing(
    agency_api, google, project_id
):
    start = start_oauth(agency_api, googleProjectId=project_id)
    assert agency_api.delete(f"/api/v1/google-projects/{project_id}").status_code == 204

    callback = follow_to_gateway(
        agency_api, google.consent(start["authorizationUrl"], account=ACCOUNT)
    )

    assert frontend_query(callback) == {"error": "invalid_state"}
    assert not OAuthFlow.objects.exists()
    assert google.requests_to("/token") == []


def test_an_upload_authenticates_as_the_channels_project(agency_user, fake_youtube, asset):
    project = GoogleProjectFactory(owner=agency_user, client_id=OWN_CLIENT_ID)
    channel = ChannelFactory(user=agency_user, google_project=project)
    job = JobFactory(channel=channel, asset_url=asset.url)
    PlanUsage.objects.create(user=agency_user, period_start=job.quota_period, uploads=1)

    outcome = run_job(job_id=job.pk)

    assert outcome.status == JobStatus.SUCCEEDED
    assert fake_youtube.session.sha256.hexdigest() == asset.sha256
    assert fake_youtube.token_client_ids == [OWN_CLIENT_ID]


def test_a_project_secret_no_key_opens_fails_uploads_and_refreshes_with_that_reason(
    agency_user, agency_api, fake_youtube, asset, settings
):
    settings.ENCRYPTION_KEY = "a-key-that-will-be-lost"
    project = GoogleProjectFactory(owner=agency_user, name="Studio")
    settings.ENCRYPTION_KEY = "the-new-key"
    channel = ChannelFactory(user=agency_user, google_project=project)
    job = JobFactory(channel=channel, asset_url=asset.url)
    PlanUsage.objects.create(user=agency_user, period_start=job.quota_period, uploads=1)

    outcome = run_job(job_id=job.pk)
    refreshed = agency_api.post(f"/api/v1/channels/{channel.id}/refresh")

    job.refresh_from_db()
    assert outcome.status == JobStatus.FAILED
    assert job.error["code"] == "google_project_unusable"
    assert "'Studio'" in job.error["message"]
    assert refreshed.status_code == 200
    assert refreshed.json()["status"] == ChannelStatus.ERROR
    assert refreshed.json()["meta"]["error"]["code"] == "google_project_unusable"
    assert fake_youtube.token_client_ids == []
    # Entering the secret again makes the project usable.
    agency_api.patch(
        f"/api/v1/google-projects/{project.id}", {"clientSecret": OWN_SECRET}, format="json"
    )
    project = GoogleProject.objects.get(pk=project.pk)
    secret = crypto.decrypt(project.client_secret_encrypted, associated_data=str(project.id))
    assert secret == OWN_SECRET


def test_reauthorising_a_channel_through_a_project_moves_it_to_that_client(
    agency_api, agency_user, google, project_id
):
    lost = ChannelFactory(
        user=agency_user, provider_channel_id=CHANNEL_ID, status=ChannelStatus.NEEDS_REAUTH
    )

    finished = connect_youtube(agency_api, google, account=ACCOUNT, googleProjectId=project_id)

    assert finished.status_code == 201
    assert finished.json()["id"] == str(lost.id)
    assert finished.json()["googleProjectId"] == project_id
    refreshed = agency_api.post(f"/api/v1/channels/{lost.id}/refresh")
    assert refreshed.json()["status"] == "ACTIVE"
    assert google.token_client_ids("refresh_token") == [OWN_CLIENT_ID]
