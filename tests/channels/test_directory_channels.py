"""Podcast directories as channels: the listing of one of the user's shows."""

from __future__ import annotations

import uuid

import pytest

from channels_app.models import Channel
from tests.factories import ShowFactory

pytestmark = pytest.mark.django_db

SPOTIFY_ID = "4rOoJ6Egrf8K2IrywzwOMk"


def connect(api, **body):
    return api.post("/api/v1/channels/connect", body, format="json")


def test_a_directory_connected_with_a_show_is_pending_with_the_feed_to_submit(api, user):
    show = ShowFactory(user=user, title="Night Shift")

    response = connect(api, platform="apple_music", showId=str(show.pk))

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "PENDING"
    assert body["providerChannelId"] == ""
    assert body["displayName"] == "Night Shift"
    assert body["meta"] == {
        "submissionUrl": "https://podcastsconnect.apple.com/",
        "feedUrl": f"http://localhost:4000/feeds/{show.pk}.xml",
        "showId": str(show.pk),
    }
    assert Channel.objects.get().show_id == show.pk


def test_recording_the_listing_id_makes_it_active_and_keeps_the_feed(api, user):
    show = ShowFactory(user=user, title="Night Shift")
    created = connect(api, platform="spotify", showId=str(show.pk)).json()

    response = api.patch(
        f"/api/v1/channels/{created['id']}",
        {"providerChannelId": f"https://open.spotify.com/show/{SPOTIFY_ID}"},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ACTIVE"
    assert body["providerChannelId"] == SPOTIFY_ID
    assert body["meta"]["feedUrl"] == f"http://localhost:4000/feeds/{show.pk}.xml"
    assert body["meta"]["listingUrl"] == f"https://open.spotify.com/show/{SPOTIFY_ID}"


def test_a_directory_connected_with_a_show_and_its_listing_id_is_active_at_once(api, user):
    show = ShowFactory(user=user, title="Night Shift")

    body = connect(
        api, platform="spotify", showId=str(show.pk), providerChannelId=SPOTIFY_ID
    ).json()

    assert body["status"] == "ACTIVE"
    assert body["meta"]["feedUrl"].endswith(f"/feeds/{show.pk}.xml")


def test_another_users_show_or_an_unknown_one_is_404_and_creates_nothing(api, other_user):
    foreign = ShowFactory(user=other_user, title="Night Shift")

    responses = [
        connect(api, platform="spotify", showId=str(foreign.pk)),
        connect(api, platform="spotify", showId=str(uuid.uuid4())),
    ]

    assert [r.status_code for r in responses] == [404, 404]
    assert not Channel.objects.exists()


@pytest.mark.parametrize("platform", ["youtube", "soundcloud", "audiomack"])
def test_a_show_on_a_platform_that_reads_no_feed_is_400(api, user, platform):
    show = ShowFactory(user=user, title="Night Shift")

    response = connect(api, platform=platform, showId=str(show.pk))

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "showId"
    assert not Channel.objects.exists()


def test_a_show_has_one_listing_per_directory(api, user):
    show = ShowFactory(user=user, title="Night Shift")
    assert connect(api, platform="deezer", showId=str(show.pk)).status_code == 201

    again = connect(api, platform="deezer", showId=str(show.pk))
    other_directory = connect(api, platform="tunein", showId=str(show.pk))

    assert again.status_code == 409
    assert again.json()["errors"][0]["code"] == "already_connected"
    assert other_directory.status_code == 201
    assert Channel.objects.count() == 2


def test_the_openapi_schema_has_the_platform_description_and_the_connect_show(api_client):
    schema = api_client.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    components = schema["components"]["schemas"]
    assert "description" in components["Platform"]["required"]
    assert components["Platform"]["properties"]["description"]["type"] == "string"
    assert components["ConnectInputRequest"]["properties"]["showId"]["format"] == "uuid"
