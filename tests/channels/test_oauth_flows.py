"""Held consents: the callback connects nothing, and only the account that started a connect
can finish it (docs/api.md: "The browser that comes back from the platform is not trusted...").

Run against the fake Google, through the real client libraries."""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from channels_app import tasks
from channels_app.models import Channel, OAuthFlow
from tests.factories import ManualChannelFactory, UserFactory
from tests.providers.youtube.fake_google import youtube_channel
from tests.support.oauth_flows import (
    connect_youtube,
    consent_youtube,
    finish_oauth,
    follow_to_gateway,
    frontend_query,
    start_oauth,
)

pytestmark = pytest.mark.django_db

CREATOR = "creator@gmail.com"
VICTIM = "victim@gmail.com"
VICTIM_CHANNEL = "UCvictim000000000000000001"


@pytest.fixture
def google(fake_google):
    fake_google.add_account(CREATOR, youtube_channel(title="Creator Channel"))
    fake_google.add_account(VICTIM, youtube_channel(VICTIM_CHANNEL, title="Victim Channel"))
    return fake_google


def complete(client: APIClient, flow: str):
    return client.post("/api/v1/channels/connect/complete", {"flow": flow}, format="json")


def assert_not_found(response) -> None:
    assert response.status_code == 404, response.content
    assert response.json()["errors"][0]["code"] == "not_found"


# --- the consent-link attack -------------------------------------------------------------------
def test_a_consent_link_approved_by_a_victim_attaches_nothing_and_its_grant_is_revoked(
    api, user, other_user, client_for, google, caplog
):
    # Given the attacker (user) starts a YouTube connect and sends the consent URL to a victim
    start = start_oauth(api)
    # and the victim approves the genuine consent screen with their own Google account;
    # their browser comes back to the gateway without any gateway session
    redirect = google.consent(start["authorizationUrl"], account=VICTIM)
    callback = follow_to_gateway(APIClient(), redirect)
    flow = frontend_query(callback)["oauthFlow"]
    [victim_grant] = google.live_refresh_tokens()

    # When the frontend, signed in as the victim's gateway account, finishes the flow
    with caplog.at_level(logging.WARNING, logger="gateway.security"):
        response = complete(client_for(other_user), flow)

    # Then it is not found, nothing is connected anywhere, and the grant is revoked at Google
    assert_not_found(response)
    assert not Channel.objects.exists()
    assert not OAuthFlow.objects.exists()
    assert google.revoked_tokens == [victim_grant]
    assert google.live_refresh_tokens() == []
    [event] = [r for r in caplog.records if r.name == "gateway.security"]
    assert event.event == "oauth_flow_foreign_finish"
    assert event.user_id == str(other_user.pk)
    assert event.starter_id == str(user.pk)
    assert victim_grant not in caplog.text
    # and the attacker cannot finish it afterwards either
    assert_not_found(complete(api, flow))
    assert not Channel.objects.exists()


def test_a_flow_finished_by_another_account_is_destroyed_even_when_google_does_not_answer(
    api, other_user, client_for, google, settings
):
    callback = consent_youtube(api, google, account=VICTIM)
    settings.GOOGLE_OAUTH_REVOKE_URL = "http://127.0.0.1:9/revoke"  # nothing listens there

    response = finish_oauth(client_for(other_user), callback)

    assert_not_found(response)
    assert not OAuthFlow.objects.exists()
    assert_not_found(finish_oauth(api, callback))
    assert not Channel.objects.exists()


# --- the normal flow ---------------------------------------------------------------------------
def test_the_redirect_carries_neither_the_code_nor_any_token_and_nothing_is_held_in_clear(
    api, user, google
):
    start = start_oauth(api)
    redirect = google.consent(start["authorizationUrl"], account=CREATOR)
    code = parse_qs(urlsplit(redirect).query)["code"][0]

    callback = follow_to_gateway(api, redirect)

    location = callback["Location"]
    query = frontend_query(callback)
    assert set(query) == {"oauthFlow", "platform"}
    assert query["platform"] == "youtube"
    assert len(query["oauthFlow"]) >= 43  # 256 random bits
    [grant] = google.grants
    secrets_issued = [code, grant.refresh_token, *grant.access_tokens, start["state"]]
    assert not any(secret in location for secret in secrets_issued)
    # The held row keeps only the flow id's hash, and the account and grant sealed
    [held] = OAuthFlow.objects.values()
    assert held["user_id"] == user.pk
    assert held["expires_at"] - held["created_at"] == timedelta(minutes=10)
    assert not any(secret in repr(held) for secret in [query["oauthFlow"], *secrets_issued])
    assert "Creator Channel" not in repr(held)

    response = complete(api, query["oauthFlow"])

    assert response.status_code == 201
    assert response.json()["displayName"] == "Creator Channel"
    assert response.json()["status"] == "ACTIVE"
    assert response.json()["id"] == str(Channel.objects.get(user=user).id)
    assert not any("token" in key.lower() for key in response.json())


def test_a_flow_is_finished_once(api, user, google):
    callback = consent_youtube(api, google, account=CREATOR)
    assert finish_oauth(api, callback).status_code == 201

    again = finish_oauth(api, callback)

    assert_not_found(again)
    assert Channel.objects.filter(user=user).count() == 1
    assert google.revoked_tokens == []


@pytest.mark.parametrize("flow", ["unknown", "x" * 200])
def test_an_unknown_flow_is_404(api, google, flow):
    consent_youtube(api, google, account=CREATOR)

    assert_not_found(complete(api, flow))
    assert OAuthFlow.objects.count() == 1
    assert not Channel.objects.exists()


def test_a_missing_or_oversized_flow_is_400_and_changes_nothing(api, google):
    consent_youtube(api, google, account=CREATOR)

    missing = api.post("/api/v1/channels/connect/complete", {}, format="json")
    oversized = complete(api, "x" * 201)

    assert missing.status_code == 400
    assert missing.json()["errors"][0]["attr"] == "flow"
    assert oversized.status_code == 400
    assert OAuthFlow.objects.count() == 1


def test_finishing_needs_a_bearer_token(api, google):
    callback = consent_youtube(api, google, account=CREATOR)

    response = finish_oauth(APIClient(), callback)

    assert response.status_code == 401
    assert OAuthFlow.objects.count() == 1
    assert finish_oauth(api, callback).status_code == 201


# --- checks at the finish ----------------------------------------------------------------------
def test_the_plan_limit_at_the_finish_is_403_and_the_flow_stays_usable(api, user, google):
    # Given a held consent, and the plan's two channels connected meanwhile
    callback = consent_youtube(api, google, account=CREATOR)
    listings = ManualChannelFactory.create_batch(2, user=user)

    # When the creator finishes it
    refused = finish_oauth(api, callback)

    # Then it is refused and changes nothing
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["code"] == "plan_limit_reached"
    assert Channel.objects.filter(user=user).count() == 2
    assert OAuthFlow.objects.count() == 1
    # and after freeing a slot the same flow finishes
    assert api.delete(f"/api/v1/channels/{listings[0].id}").status_code == 204
    assert finish_oauth(api, callback).status_code == 201
    assert Channel.objects.filter(user=user, platform="youtube").count() == 1


def test_already_connected_is_checked_at_the_finish(api, user, google):
    first = consent_youtube(api, google, account=CREATOR)
    second = consent_youtube(api, google, account=CREATOR)
    assert finish_oauth(api, first).status_code == 201

    response = finish_oauth(api, second)

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "already_connected"
    assert Channel.objects.filter(user=user).count() == 1
    assert not OAuthFlow.objects.exists()


# --- expiry and the daily purge ----------------------------------------------------------------
def test_an_expired_flow_is_404_and_the_purge_revokes_its_grant(api, user, google):
    # Given a held consent that expired
    callback = consent_youtube(api, google, account=CREATOR)
    [grant] = google.live_refresh_tokens()
    OAuthFlow.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    # When the creator tries to finish it, then it is not found
    assert_not_found(finish_oauth(api, callback))
    assert not Channel.objects.exists()

    # When the daily purge runs, then the flow is gone and its grant revoked
    assert tasks.oauth_states_purge() == 1  # the flow (the spent state expires later)
    assert not OAuthFlow.objects.exists()
    assert google.revoked_tokens == [grant]


def test_the_purge_keeps_live_flows_and_spares_the_grant_of_a_connected_account(api, user, google):
    # Given the creator's account connected, then a second consent of it left unfinished
    assert connect_youtube(api, google, account=CREATOR).status_code == 201
    consent_youtube(api, google, account=CREATOR)
    OAuthFlow.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    # and someone else's consent still in time
    live_callback = consent_youtube(api, google, account=VICTIM)

    tasks.oauth_states_purge()

    # Then the expired flow is gone without a revocation (Google would end the working
    # connection's access with it), and the live flow still finishes
    assert google.revoked_tokens == []
    assert OAuthFlow.objects.count() == 1
    assert finish_oauth(api, live_callback).status_code == 201
    assert Channel.objects.filter(user=user).count() == 2


# --- operators ---------------------------------------------------------------------------------
def test_the_admin_lists_held_consents_read_only_without_their_grant(client, api, google):
    consent_youtube(api, google, account=CREATOR)
    held = OAuthFlow.objects.get()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    listing = client.get("/admin/channels_app/oauthflow/")
    detail = client.get(f"/admin/channels_app/oauthflow/{held.pk}/change/")
    delete = client.get(f"/admin/channels_app/oauthflow/{held.pk}/delete/")

    assert listing.status_code == 200
    assert detail.status_code == 200
    assert delete.status_code == 403  # deleting here would skip the revocation
    [grant] = google.live_refresh_tokens()
    for page in (listing, detail):
        html = page.content.decode()
        assert held.account_encrypted not in html
        assert held.flow_hash not in html
        assert grant not in html
    assert OAuthFlow.objects.count() == 1
