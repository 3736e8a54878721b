"""Channels API: manual connects, limits, duplicates, edits, listing, and other users' ids."""

from __future__ import annotations

import uuid

import pytest

from channels_app.models import Channel, ChannelStatus
from tests.factories import ManualChannelFactory, UserFactory

pytestmark = pytest.mark.django_db

SPOTIFY_ID = "4rOoJ6Egrf8K2IrywzwOMk"


def connect(api, **body):
    return api.post("/api/v1/channels/connect", body, format="json")


def test_manual_connect_with_a_link_is_active_with_the_canonical_id(api, user):
    response = connect(
        api,
        platform="spotify",
        providerChannelId=f"https://open.spotify.com/show/{SPOTIFY_ID}?si=x",
        displayName="My Show",
    )

    assert response.status_code == 201
    body = response.json()
    channel = Channel.objects.get(user=user)
    assert body == {
        "id": str(channel.id),
        "platform": "spotify",
        "displayName": "My Show",
        "providerChannelId": SPOTIFY_ID,
        "status": "ACTIVE",
        "meta": {
            "submissionUrl": "https://creators.spotify.com/",
            "listingUrl": f"https://open.spotify.com/show/{SPOTIFY_ID}",
        },
        "googleProjectId": None,
        "connectedAt": body["connectedAt"],
        "lastRefreshedAt": None,
    }
    assert channel.refresh_token_encrypted == ""


def test_manual_connect_without_an_id_is_pending_until_the_listing_id_is_recorded(api, user):
    created = connect(api, platform="apple_music").json()
    assert created["status"] == "PENDING"
    assert created["providerChannelId"] == ""
    assert created["displayName"] == "Apple Podcasts"
    assert created["meta"] == {"submissionUrl": "https://podcastsconnect.apple.com/"}

    response = api.patch(
        f"/api/v1/channels/{created['id']}",
        {"providerChannelId": "https://podcasts.apple.com/us/podcast/x/id1200361736"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["status"] == "ACTIVE"
    assert response.json()["providerChannelId"] == "1200361736"
    assert (
        response.json()["meta"]["listingUrl"] == "https://podcasts.apple.com/podcast/id1200361736"
    )
    assert Channel.objects.get(pk=created["id"]).status == ChannelStatus.ACTIVE


def test_an_invalid_listing_id_is_400_on_the_field_and_creates_nothing(api, user):
    response = connect(api, platform="spotify", providerChannelId="https://example.com/x")

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert response.json()["errors"][0]["attr"] == "providerChannelId"
    assert response.json()["errors"][0]["code"] == "invalid"
    assert Channel.objects.count() == 0


def test_an_unknown_platform_is_400(api):
    response = connect(api, platform="myspace")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "platform"
    assert Channel.objects.count() == 0


def test_the_same_listing_twice_is_409_already_connected(api, user):
    assert connect(api, platform="spotify", providerChannelId=SPOTIFY_ID).status_code == 201

    response = connect(api, platform="spotify", providerChannelId=f"spotify:show:{SPOTIFY_ID}")

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "already_connected"
    assert Channel.objects.filter(user=user).count() == 1


def test_another_user_may_connect_the_same_listing(api, client_for, other_user):
    assert connect(api, platform="spotify", providerChannelId=SPOTIFY_ID).status_code == 201

    response = connect(client_for(other_user), platform="spotify", providerChannelId=SPOTIFY_ID)

    assert response.status_code == 201


def test_free_plan_third_connect_is_403_plan_limit_reached(api, user):
    assert connect(api, platform="apple_music").status_code == 201
    assert connect(api, platform="deezer").status_code == 201

    response = connect(api, platform="tunein")

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "plan_limit_reached"
    assert Channel.objects.filter(user=user).count() == 2


def test_a_user_without_a_plan_gets_the_free_limit(client_for, plans):
    user = UserFactory(plan=None)
    api = client_for(user)
    ManualChannelFactory.create_batch(2, user=user)

    response = connect(api, platform="tunein")

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "plan_limit_reached"


def test_pro_plan_allows_five_channels(client_for, plans):
    user = UserFactory(plan=plans["pro"])
    ManualChannelFactory.create_batch(4, user=user)
    api = client_for(user)

    assert connect(api, platform="tunein").status_code == 201
    assert connect(api, platform="deezer").status_code == 403


def test_patch_renames_a_channel(api, user):
    channel = ManualChannelFactory(user=user, display_name="Old")

    response = api.patch(f"/api/v1/channels/{channel.id}", {"displayName": "New"}, format="json")

    assert response.status_code == 200
    assert response.json()["displayName"] == "New"
    assert Channel.objects.get(pk=channel.pk).display_name == "New"


def test_patch_to_a_listing_already_connected_is_409_and_changes_nothing(api, user):
    ManualChannelFactory(user=user, platform="spotify", provider_channel_id=SPOTIFY_ID)
    pending = ManualChannelFactory(
        user=user, platform="spotify", provider_channel_id="", status=ChannelStatus.PENDING
    )

    response = api.patch(
        f"/api/v1/channels/{pending.id}", {"providerChannelId": SPOTIFY_ID}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "already_connected"
    fresh = Channel.objects.get(pk=pending.pk)
    assert (fresh.provider_channel_id, fresh.status) == ("", ChannelStatus.PENDING)


def test_patch_cannot_set_the_account_id_of_an_oauth_channel(api, user):
    channel = ManualChannelFactory(user=user, platform="youtube", provider_channel_id="UCabc")

    response = api.patch(
        f"/api/v1/channels/{channel.id}", {"providerChannelId": "UCother"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "providerChannelId"
    assert Channel.objects.get(pk=channel.pk).provider_channel_id == "UCabc"


def test_list_shows_only_own_channels_newest_first_in_one_query(
    api, user, other_user, django_assert_num_queries
):
    older = ManualChannelFactory(user=user)
    newer = ManualChannelFactory(user=user)
    Channel.objects.filter(pk=older.pk).update(connected_at=newer.connected_at.replace(year=2020))
    ManualChannelFactory(user=other_user)
    ManualChannelFactory.create_batch(3, user=user)

    with django_assert_num_queries(1):
        response = api.get("/api/v1/channels")

    assert response.status_code == 200
    ids = [c["id"] for c in response.json()]
    assert len(ids) == 5
    assert ids[-1] == str(older.id)
    assert set(ids) == {str(c.id) for c in Channel.objects.filter(user=user)}
    assert all("refreshToken" not in str(c) for c in response.json())


def test_every_channel_endpoint_answers_404_for_another_users_channel(api, other_user):
    theirs = ManualChannelFactory(user=other_user, display_name="Theirs")
    before = Channel.objects.values().get(pk=theirs.pk)

    responses = [
        api.patch(f"/api/v1/channels/{theirs.id}", {"displayName": "Mine"}, format="json"),
        api.post(f"/api/v1/channels/{theirs.id}/refresh"),
        api.delete(f"/api/v1/channels/{theirs.id}"),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]
    assert all(r.json()["errors"][0]["code"] == "not_found" for r in responses)
    assert Channel.objects.values().get(pk=theirs.pk) == before


def test_an_unknown_channel_id_is_404(api):
    assert api.post(f"/api/v1/channels/{uuid.uuid4()}/refresh").status_code == 404
    assert api.delete("/api/v1/channels/not-a-uuid").status_code == 404


def test_channel_endpoints_need_a_token(api_client):
    responses = [
        api_client.get("/api/v1/channels"),
        api_client.post("/api/v1/channels/connect", {"platform": "spotify"}, format="json"),
        api_client.post("/api/v1/channels/refresh-all"),
        api_client.delete(f"/api/v1/channels/{uuid.uuid4()}"),
    ]

    assert [r.status_code for r in responses] == [401, 401, 401, 401]


def test_refresh_of_a_manual_channel_touches_it(api, user):
    channel = ManualChannelFactory(user=user)

    response = api.post(f"/api/v1/channels/{channel.id}/refresh")

    assert response.status_code == 200
    assert response.json()["lastRefreshedAt"] is not None
    assert Channel.objects.get(pk=channel.pk).last_refreshed_at is not None


def test_delete_of_a_manual_channel_is_204(api, user):
    channel = ManualChannelFactory(user=user)

    assert api.delete(f"/api/v1/channels/{channel.id}").status_code == 204
    assert not Channel.objects.filter(pk=channel.pk).exists()


def test_openapi_schema_describes_the_channel_endpoints_and_the_callback(api_client):
    paths = api_client.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()[
        "paths"
    ]

    for path in [
        "/api/v1/platforms",
        "/api/v1/channels",
        "/api/v1/channels/connect",
        "/api/v1/channels/connect/complete",
        "/api/v1/channels/refresh-all",
        "/api/v1/channels/{channel_id}",
        "/api/v1/channels/{channel_id}/refresh",
        "/oauth2/callback/{platform}",
    ]:
        assert path in paths, path
    complete = paths["/api/v1/channels/connect/complete"]["post"]
    assert {"201", "400", "401", "403", "404", "409"} <= set(complete["responses"])
    assert "revoked" in complete["responses"]["404"]["description"]
    assert complete["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ConnectCompleteInputRequest"
    )
    callback = paths["/oauth2/callback/{platform}"]["get"]["responses"]["302"]["description"]
    assert "oauthFlow={flowId}&platform={platform}" in callback
