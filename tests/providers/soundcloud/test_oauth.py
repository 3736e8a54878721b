"""SoundCloud: OAuth 2.1 with PKCE through requests-oauthlib against the local fake."""

from __future__ import annotations

import pytest

from channels_app.models import Channel, ChannelStatus, OAuthFlow
from channels_app.services.grants import channel_grant_decrypt
from tests.fakes.http import FakeResponse
from tests.providers.soundcloud.fake_soundcloud import soundcloud_user
from tests.support.oauth_flows import finish_oauth, follow_to_gateway, frontend_query, start_oauth

pytestmark = pytest.mark.django_db


@pytest.fixture
def soundcloud(fake_soundcloud):
    fake_soundcloud.add_account("artist", soundcloud_user(4242, "fake-artist"))
    return fake_soundcloud


def consent_soundcloud(api, fake):
    """Start a connect and approve it as "artist"; returns the callback response."""
    start = start_oauth(api, "soundcloud")
    return follow_to_gateway(api, fake.consent(start["authorizationUrl"], account="artist"))


def connect_soundcloud(api, fake):
    """The whole flow, finished by ``api``'s account; returns the finish response."""
    return finish_oauth(api, consent_soundcloud(api, fake))


def test_connect_stores_the_profile_and_an_encrypted_grant(api, user, soundcloud):
    callback = consent_soundcloud(api, soundcloud)
    assert frontend_query(callback)["platform"] == "soundcloud"
    assert not Channel.objects.exists()

    response = finish_oauth(api, callback)

    channel = Channel.objects.get(user=user)
    assert response.status_code == 201
    assert response.json()["id"] == str(channel.id)
    assert channel.platform == "soundcloud"
    assert channel.provider_channel_id == "4242"
    assert channel.display_name == "Fake Artist"
    assert channel.status == ChannelStatus.ACTIVE
    assert channel.meta["permalink_url"] == "https://soundcloud.com/fake-artist"
    [token] = soundcloud.live_refresh_tokens()
    assert channel_grant_decrypt(channel) == token
    assert token not in channel.refresh_token_encrypted
    [exchange] = soundcloud.requests_to("/oauth/token")
    assert exchange.form()["code_verifier"]


def test_a_consent_finished_by_another_account_is_404_and_destroyed(
    api, other_user, client_for, soundcloud
):
    # Given a SoundCloud consent started by one account and approved in another's browser
    callback = consent_soundcloud(api, soundcloud)
    calls_before = len(soundcloud.requests)

    # When another account finishes it
    response = finish_oauth(client_for(other_user), callback)

    # Then it is not found, nothing is connected, the flow is gone, and SoundCloud (which
    # documents no revocation) is not called
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"
    assert not Channel.objects.exists()
    assert not OAuthFlow.objects.exists()
    assert len(soundcloud.requests) == calls_before
    # and the starter cannot finish it afterwards
    assert finish_oauth(api, callback).status_code == 404
    assert not Channel.objects.exists()


def test_refresh_stores_the_rotated_single_use_refresh_token(api, user, soundcloud):
    connect_soundcloud(api, soundcloud)
    channel = Channel.objects.get(user=user)
    first = channel_grant_decrypt(channel)

    response = api.post(f"/api/v1/channels/{channel.id}/refresh")

    assert response.status_code == 200
    assert response.json()["status"] == "ACTIVE"
    second = channel_grant_decrypt(Channel.objects.get(pk=channel.pk))
    assert second != first
    assert soundcloud.live_refresh_tokens() == [second]
    # The next refresh works with the new token (the old one is spent at SoundCloud).
    assert api.post(f"/api/v1/channels/{channel.id}/refresh").json()["status"] == "ACTIVE"


def test_a_profile_outage_after_rotation_keeps_the_new_single_use_token(api, user, soundcloud):
    connect_soundcloud(api, soundcloud)
    channel = Channel.objects.get(user=user)
    soundcloud.route("GET", "/me", lambda request: FakeResponse(503, "busy"))

    response = api.post(f"/api/v1/channels/{channel.id}/refresh")

    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "provider_unavailable"
    stored = channel_grant_decrypt(Channel.objects.get(pk=channel.pk))
    assert soundcloud.live_refresh_tokens() == [stored]  # the rotated one, not the spent one
    soundcloud.route("GET", "/me", soundcloud.handle_me)
    assert api.post(f"/api/v1/channels/{channel.id}/refresh").json()["status"] == "ACTIVE"


def test_a_malformed_profile_is_an_error_redirect_not_a_crash(api, user, soundcloud):
    soundcloud.route("GET", "/me", lambda request: FakeResponse(200, "<html>oops</html>"))

    response = consent_soundcloud(api, soundcloud)

    assert frontend_query(response) == {"error": "bad_response"}
    assert not Channel.objects.exists()


def test_a_revoked_grant_is_needs_reauth(api, user, soundcloud):
    connect_soundcloud(api, soundcloud)
    channel = Channel.objects.get(user=user)
    soundcloud.revoke_account("artist")

    response = api.post(f"/api/v1/channels/{channel.id}/refresh")

    assert response.status_code == 200
    assert response.json()["status"] == "NEEDS_REAUTH"


def test_soundcloud_without_a_client_is_503(api, settings):
    settings.SOUNDCLOUD_CLIENT_ID = ""

    response = api.post("/api/v1/channels/connect", {"platform": "soundcloud"}, format="json")

    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "provider_not_configured"


def test_disconnect_erases_the_grant_without_a_revocation_call(api, user, soundcloud):
    connect_soundcloud(api, soundcloud)
    channel = Channel.objects.get(user=user)
    calls_before = len(soundcloud.requests)

    response = api.delete(f"/api/v1/channels/{channel.id}")

    assert response.status_code == 204
    assert not Channel.objects.filter(pk=channel.pk).exists()
    assert len(soundcloud.requests) == calls_before  # SoundCloud documents no revocation
