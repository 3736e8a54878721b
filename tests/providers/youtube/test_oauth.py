"""YouTube for real: the whole OAuth flow through google-auth-oauthlib, google-auth and
google-api-python-client against the local fake Google."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.utils import timezone

from channels_app.models import Channel, ChannelStatus, OAuthFlow, OAuthState
from channels_app.services.grants import channel_grant_decrypt, channel_grant_for_upload
from providers.youtube.client import shared_client, youtube_credentials
from tests.factories import ManualChannelFactory
from tests.fakes.oauth import s256
from tests.providers.youtube.fake_google import (
    CLIENT_ID,
    REDIRECT_URI,
    google_api_error,
    youtube_channel,
)
from tests.support.oauth_flows import (
    connect_youtube,
    consent_youtube,
    finish_oauth,
    follow_to_gateway,
    frontend_query,
    start_oauth,
)
from uploads.models import Job, JobStatus

pytestmark = pytest.mark.django_db

ACCOUNT = "creator@gmail.com"
CHANNEL_ID = "UCfake0000000000000000001"


@pytest.fixture
def google(fake_google):
    fake_google.add_account(ACCOUNT, youtube_channel(CHANNEL_ID, title="Creator Channel"))
    return fake_google


def test_start_answers_a_google_consent_url_with_offline_access_and_pkce(api, user, google):
    start = start_oauth(api)

    url = urlsplit(start["authorizationUrl"])
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == google.base_url + "/o/oauth2/v2/auth"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == REDIRECT_URI
    assert query["response_type"] == "code"
    assert query["access_type"] == "offline"
    assert query["code_challenge_method"] == "S256"
    assert query["state"] == start["state"]
    assert set(query["scope"].split()) == {
        "https://www.googleapis.com/auth/youtube.upload",
        "https://www.googleapis.com/auth/youtube.readonly",
    }
    state_row = OAuthState.objects.get(user=user)
    assert state_row.platform == "youtube"
    assert state_row.used_at is None
    assert state_row.expires_at - state_row.created_at == timedelta(minutes=10)
    # The verifier stays on the server, encrypted; only its S256 challenge travels.
    assert query["code_challenge"] not in state_row.code_verifier_encrypted


def test_full_flow_stores_the_channel_with_an_encrypted_refresh_token(api, user, google):
    start = start_oauth(api)
    challenge = parse_qs(urlsplit(start["authorizationUrl"]).query)["code_challenge"][0]

    callback = follow_to_gateway(api, google.consent(start["authorizationUrl"], account=ACCOUNT))
    assert frontend_query(callback) == {
        "oauthFlow": frontend_query(callback)["oauthFlow"],
        "platform": "youtube",
    }
    assert not Channel.objects.exists()  # the callback only holds the consent

    response = finish_oauth(api, callback)

    channel = Channel.objects.get(user=user)
    assert response.status_code == 201
    assert response.json()["id"] == str(channel.id)
    assert channel.platform == "youtube"
    assert channel.provider_channel_id == CHANNEL_ID
    assert channel.display_name == "Creator Channel"
    assert channel.status == ChannelStatus.ACTIVE
    assert channel.last_refreshed_at is not None
    assert channel.meta == {
        "title": "Creator Channel",
        "custom_url": "@creatorchannel",
        "thumbnail_url": f"https://yt3.example/{CHANNEL_ID}/240.jpg",
        "url": f"https://www.youtube.com/channel/{CHANNEL_ID}",
        "subscriber_count": 1200,
        "video_count": 34,
        "view_count": 56789,
    }
    [refresh_token] = google.live_refresh_tokens()
    assert channel_grant_decrypt(channel) == refresh_token
    # The database row holds no plaintext token, in any column.
    assert refresh_token not in repr(Channel.objects.values().get(pk=channel.pk))
    # The code was exchanged with the server-side verifier whose challenge went to Google,
    # and the state was spent.
    [exchange] = google.requests_to("/token", "POST")
    assert s256(exchange.form()["code_verifier"]) == challenge
    assert OAuthState.objects.get(user=user).used_at is not None
    assert not OAuthFlow.objects.exists()  # finished: gone


def test_the_api_shows_the_connected_channel_without_token_material(api, user, google):
    connect_youtube(api, google, account=ACCOUNT)

    [listed] = api.get("/api/v1/channels").json()

    assert listed["platform"] == "youtube"
    assert listed["providerChannelId"] == CHANNEL_ID
    assert listed["meta"]["subscriberCount"] == 1200
    assert not any("token" in key.lower() for key in listed)
    assert google.live_refresh_tokens()[0] not in str(listed)


def test_refresh_reads_the_current_title_thumbnail_and_statistics(api, user, google):
    connect_youtube(api, google, account=ACCOUNT)
    channel = Channel.objects.get(user=user)
    google.add_account(ACCOUNT, youtube_channel(CHANNEL_ID, title="Renamed", subscribers=5000))

    response = api.post(f"/api/v1/channels/{channel.id}/refresh")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ACTIVE"
    assert body["displayName"] == "Renamed"
    assert body["meta"]["subscriberCount"] == 5000
    assert body["meta"]["title"] == "Renamed"
    fresh = Channel.objects.get(pk=channel.pk)
    assert fresh.last_refreshed_at > channel.last_refreshed_at
    # The refresh minted an access token from the stored refresh token.
    refreshes = [r for r in google.requests_to("/token") if "refresh_token" in r.form()]
    assert [r.form()["grant_type"] for r in refreshes] == ["refresh_token"]


def test_a_revoked_grant_makes_the_refresh_answer_200_needs_reauth(api, user, google):
    connect_youtube(api, google, account=ACCOUNT)
    channel = Channel.objects.get(user=user)
    google.revoke_account(ACCOUNT)

    response = api.post(f"/api/v1/channels/{channel.id}/refresh")

    assert response.status_code == 200
    assert response.json()["status"] == "NEEDS_REAUTH"
    fresh = Channel.objects.get(pk=channel.pk)
    assert fresh.status == ChannelStatus.NEEDS_REAUTH
    assert fresh.meta == channel.meta


def test_a_tampered_stored_grant_is_never_used_and_the_channel_needs_reauth(api, user, google):
    connect_youtube(api, google, account=ACCOUNT)
    channel = Channel.objects.get(user=user)
    version, key_id, payload = channel.refresh_token_encrypted.split(".")
    flipped = ("A" if payload[5] != "A" else "B").join((payload[:5], payload[6:]))
    Channel.objects.filter(pk=channel.pk).update(
        refresh_token_encrypted=f"{version}.{key_id}.{flipped}"
    )
    token_calls_before = len(google.requests_to("/token"))

    response = api.post(f"/api/v1/channels/{channel.id}/refresh")

    assert response.status_code == 200
    assert response.json()["status"] == "NEEDS_REAUTH"
    assert Channel.objects.get(pk=channel.pk).status == ChannelStatus.NEEDS_REAUTH
    assert len(google.requests_to("/token")) == token_calls_before


def test_refresh_while_youtube_is_down_is_503_and_changes_nothing(api, user, google):
    connect_youtube(api, google, account=ACCOUNT)
    before = Channel.objects.values().get(user=user)
    google.route(
        "GET",
        "/youtube/v3/channels",
        lambda request: google_api_error(503, "backendError", "Backend Error", "UNAVAILABLE"),
    )

    response = api.post(f"/api/v1/channels/{before['id']}/refresh")

    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "provider_unavailable"
    assert Channel.objects.values().get(user=user) == before


def test_refresh_of_a_channel_deleted_on_youtube_is_error_status(api, user, google):
    connect_youtube(api, google, account=ACCOUNT)
    channel = Channel.objects.get(user=user)
    google.add_account(ACCOUNT, None)

    response = api.post(f"/api/v1/channels/{channel.id}/refresh")

    assert response.status_code == 200
    assert response.json()["status"] == "ERROR"
    assert response.json()["meta"]["error"]["code"] == "no_channel"


def test_reconnecting_a_needs_reauth_channel_reauthorises_it_in_place(api, user, google):
    connect_youtube(api, google, account=ACCOUNT)
    channel = Channel.objects.get(user=user)
    google.revoke_account(ACCOUNT)
    api.post(f"/api/v1/channels/{channel.id}/refresh")
    old_token = channel_grant_decrypt(channel)

    response = connect_youtube(api, google, account=ACCOUNT)

    assert response.status_code == 201
    assert response.json()["id"] == str(channel.id)
    fresh = Channel.objects.get(user=user)
    assert fresh.status == ChannelStatus.ACTIVE
    assert channel_grant_decrypt(fresh) != old_token
    assert channel_grant_decrypt(fresh) in google.live_refresh_tokens()


def test_disconnect_revokes_at_google_cancels_queued_jobs_and_deletes(api, user, google):
    connect_youtube(api, google, account=ACCOUNT)
    channel = Channel.objects.get(user=user)
    token = channel_grant_decrypt(channel)
    job_fields = {"user": user, "channel": channel, "platform": "youtube", "title": "t"}
    queued = Job.objects.create(**job_fields, asset_url="https://example.com/a.mp4")
    running = Job.objects.create(
        **job_fields, asset_url="https://example.com/b.mp4", status=JobStatus.RUNNING
    )

    response = api.delete(f"/api/v1/channels/{channel.id}")

    assert response.status_code == 204
    assert google.revoked_tokens == [token]
    assert google.live_refresh_tokens() == []
    assert not Channel.objects.filter(pk=channel.pk).exists()
    queued.refresh_from_db()
    running.refresh_from_db()
    assert queued.status == JobStatus.CANCELED
    assert queued.finished_at is not None
    assert queued.error == {
        "code": "channel_disconnected",
        "message": "The channel was disconnected.",
    }
    assert running.status == JobStatus.RUNNING


def test_disconnect_still_deletes_when_google_does_not_answer(api, user, google, settings):
    connect_youtube(api, google, account=ACCOUNT)
    channel = Channel.objects.get(user=user)
    settings.GOOGLE_OAUTH_REVOKE_URL = "http://127.0.0.1:9/revoke"  # nothing listens there

    response = api.delete(f"/api/v1/channels/{channel.id}")

    assert response.status_code == 204
    assert not Channel.objects.filter(pk=channel.pk).exists()


def test_credentials_for_the_upload_pipeline_use_the_stored_grant(api, user, google):
    connect_youtube(api, google, account=ACCOUNT)
    channel = Channel.objects.get(user=user)

    credentials = youtube_credentials(channel_grant_for_upload(channel), shared_client())

    assert credentials.refresh_token == google.live_refresh_tokens()[0]
    assert credentials.token_uri == google.base_url + "/token"
    assert credentials.client_id == CLIENT_ID


# --- failures: nothing created or held, ?error= ------------------------------------------------
def assert_nothing_connected() -> None:
    assert Channel.objects.count() == 0
    assert OAuthFlow.objects.count() == 0


@pytest.mark.parametrize("state", ["", "garbage", "eyJuIjoiYSJ9:1:bad"])
def test_a_bad_state_is_invalid_state(api, google, state):
    start = start_oauth(api)
    redirect = google.consent(start["authorizationUrl"], account=ACCOUNT)
    code = parse_qs(urlsplit(redirect).query)["code"][0]

    response = api.get("/oauth2/callback/youtube", {"state": state, "code": code})

    assert frontend_query(response) == {"error": "invalid_state"}
    assert_nothing_connected()


def test_a_validly_signed_state_without_its_server_side_request_is_invalid_state(api, user, google):
    forged = signing.dumps(
        {"n": "never-issued", "u": str(user.pk), "p": "youtube"}, salt="channels_app.oauth-state"
    )

    response = api.get("/oauth2/callback/youtube", {"state": forged, "code": "any"})

    assert frontend_query(response) == {"error": "invalid_state"}
    assert_nothing_connected()
    assert google.requests_to("/token") == []


def test_a_replayed_state_is_invalid_state(api, user, google):
    start = start_oauth(api)
    redirect = google.consent(start["authorizationUrl"], account=ACCOUNT)
    assert finish_oauth(api, follow_to_gateway(api, redirect)).status_code == 201

    replay = follow_to_gateway(api, redirect)

    assert frontend_query(replay) == {"error": "invalid_state"}
    assert Channel.objects.filter(user=user).count() == 1
    assert not OAuthFlow.objects.exists()


def test_an_expired_state_is_invalid_state(api, google):
    start = start_oauth(api)
    redirect = google.consent(start["authorizationUrl"], account=ACCOUNT)
    OAuthState.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = follow_to_gateway(api, redirect)

    assert frontend_query(response) == {"error": "invalid_state"}
    assert_nothing_connected()


def test_a_state_presented_to_another_platforms_callback_is_invalid_state(api, google):
    start = start_oauth(api)
    redirect = google.consent(start["authorizationUrl"], account=ACCOUNT)
    query = parse_qs(urlsplit(redirect).query)

    response = api.get(
        "/oauth2/callback/soundcloud", {"state": query["state"][0], "code": query["code"][0]}
    )

    assert frontend_query(response) == {"error": "invalid_state"}
    assert_nothing_connected()


def test_a_code_from_user_a_with_user_b_state_fails_pkce_and_connects_no_one(
    api, client_for, other_user, google
):
    # Given user A's consent produced a code bound to A's PKCE challenge
    start_a = start_oauth(api)
    code_a = parse_qs(urlsplit(google.consent(start_a["authorizationUrl"], account=ACCOUNT)).query)[
        "code"
    ][0]
    # and user B has a valid state of their own
    start_b = start_oauth(client_for(other_user))

    # When A's code is presented with B's state
    response = client_for(other_user).get(
        "/oauth2/callback/youtube", {"state": start_b["state"], "code": code_a}
    )

    # Then Google refuses the exchange (B's verifier does not match A's challenge)
    assert frontend_query(response) == {"error": "invalid_grant"}
    assert_nothing_connected()
    [exchange] = google.requests_to("/token")
    assert exchange.form()["code"] == code_a


def test_a_missing_code_is_missing_code(api, google):
    start = start_oauth(api)

    response = api.get("/oauth2/callback/youtube", {"state": start["state"]})

    assert frontend_query(response) == {"error": "missing_code"}
    assert_nothing_connected()
    assert google.requests_to("/token") == []


def test_a_declined_consent_is_access_denied(api, google):
    start = start_oauth(api)

    response = follow_to_gateway(api, google.deny(start["authorizationUrl"]))

    assert frontend_query(response) == {"error": "access_denied"}
    assert_nothing_connected()


def test_an_unknown_platform_callback_is_an_error_redirect(api):
    response = api.get("/oauth2/callback/myspace", {"state": "x", "code": "y"})

    assert frontend_query(response) == {"error": "unknown_platform"}


def test_a_google_account_without_a_channel_is_no_channel(api, google):
    google.add_account("nochannel@gmail.com", None)

    response = consent_youtube(api, google, account="nochannel@gmail.com")

    assert frontend_query(response) == {"error": "no_channel"}
    assert_nothing_connected()


def test_a_consent_without_the_upload_permission_is_scope_not_granted(api, google):
    start = start_oauth(api)
    redirect = google.consent(
        start["authorizationUrl"],
        account=ACCOUNT,
        granted_scope="https://www.googleapis.com/auth/youtube.readonly",
    )

    response = follow_to_gateway(api, redirect)

    assert frontend_query(response) == {"error": "scope_not_granted"}
    assert_nothing_connected()


def test_the_same_youtube_channel_twice_is_409_already_connected_at_the_finish(api, user, google):
    connect_youtube(api, google, account=ACCOUNT)
    before = Channel.objects.values().get(user=user)

    response = connect_youtube(api, google, account=ACCOUNT)

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "already_connected"
    assert list(Channel.objects.values()) == [before]
    # The second grant is dropped unrevoked: at Google, revoking it would end the first too.
    assert not OAuthFlow.objects.exists()
    assert google.revoked_tokens == []


def test_the_plan_limit_is_checked_again_at_the_finish(api, user, google):
    callback = consent_youtube(api, google, account=ACCOUNT)
    ManualChannelFactory.create_batch(2, user=user)  # connected elsewhere meanwhile

    response = finish_oauth(api, callback)

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "plan_limit_reached"
    assert Channel.objects.filter(user=user, platform="youtube").count() == 0


def test_start_at_the_plan_limit_is_403(api, user, google):
    ManualChannelFactory.create_batch(2, user=user)

    response = api.post("/api/v1/channels/connect", {"platform": "youtube"}, format="json")

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "plan_limit_reached"
    assert OAuthState.objects.count() == 0


def test_youtube_without_a_client_is_503_provider_not_configured(api, settings):
    settings.YOUTUBE_CLIENT_ID = ""

    response = api.post("/api/v1/channels/connect", {"platform": "youtube"}, format="json")

    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "provider_not_configured"
    assert OAuthState.objects.count() == 0
