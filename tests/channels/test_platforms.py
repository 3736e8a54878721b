"""GET /api/v1/platforms and the per-platform validation of manual listings."""

from __future__ import annotations

import pytest

from providers.audiomack.provider import AudiomackProvider
from providers.registry import all_providers, get_provider, provider_replace

pytestmark = pytest.mark.django_db

PLATFORM_IDS = [
    "youtube",
    "spotify",
    "apple_music",
    "deezer",
    "soundcloud",
    "tunein",
    "amazon_music",
    "iheartradio",
    "audiomack",
    "podchaser",
]


def test_platforms_lists_the_ten_platforms_with_their_real_capabilities(api_client, settings):
    settings.YOUTUBE_CLIENT_ID = settings.YOUTUBE_CLIENT_SECRET = ""
    settings.SOUNDCLOUD_CLIENT_ID = settings.SOUNDCLOUD_CLIENT_SECRET = ""

    response = api_client.get("/api/v1/platforms")

    assert response.status_code == 200
    body = response.json()
    assert [p["id"] for p in body] == PLATFORM_IDS
    by_id = {p["id"]: p for p in body}
    assert by_id["youtube"] == {
        "id": "youtube",
        "name": "YouTube",
        "connect": "oauth",
        "uploads": True,
        "mediaTypes": ["video"],
        "configured": False,
        "description": (
            "Gateway uploads your video to your channel through the YouTube Data API; a "
            "scheduled one is uploaded private and YouTube publishes it at the chosen time."
        ),
    }
    assert by_id["soundcloud"]["connect"] == "oauth"
    assert by_id["soundcloud"]["uploads"] is True
    assert by_id["soundcloud"]["mediaTypes"] == ["audio"]
    assert by_id["soundcloud"]["configured"] is False
    assert by_id["apple_music"]["name"] == "Apple Podcasts"
    directories = [pid for pid in PLATFORM_IDS if pid not in {"youtube", "soundcloud", "audiomack"}]
    for platform_id in directories:  # publishing there is an episode in the hosted feed
        assert by_id[platform_id]["connect"] == "manual"
        assert by_id[platform_id]["uploads"] is True
        assert by_id[platform_id]["configured"] is True
        assert "RSS feed Gateway hosts" in by_id[platform_id]["description"]
    assert by_id["tunein"]["mediaTypes"] == ["audio"]
    assert by_id["spotify"]["mediaTypes"] == ["audio", "video"]
    assert by_id["audiomack"]["connect"] == "manual"
    assert by_id["audiomack"]["uploads"] is False
    assert "partners only" in by_id["audiomack"]["description"]
    assert all(p["mediaTypes"] and p["description"] for p in body)


def test_oauth_platforms_are_configured_once_their_client_is_set(api_client, settings):
    settings.YOUTUBE_CLIENT_ID, settings.YOUTUBE_CLIENT_SECRET = "id", "secret"
    settings.SOUNDCLOUD_CLIENT_ID, settings.SOUNDCLOUD_CLIENT_SECRET = "id", "secret"

    body = api_client.get("/api/v1/platforms").json()

    assert {p["id"]: p["configured"] for p in body}["youtube"] is True
    assert {p["id"]: p["configured"] for p in body}["soundcloud"] is True


def test_registry_has_one_provider_per_platform():
    assert [p.platform.value for p in all_providers()] == PLATFORM_IDS
    assert get_provider("youtube").title_max_length == 100
    assert get_provider("youtube").description_max_length == 5000
    with pytest.raises(KeyError):
        get_provider("myspace")


SPOTIFY_ID = "4rOoJ6Egrf8K2IrywzwOMk"
AMAZON_ID = "0e8a7e1e-5d1b-4b7a-9d4e-2f1c3b4a5d6e"


@pytest.mark.parametrize(
    ("platform", "value", "canonical"),
    [
        ("spotify", SPOTIFY_ID, SPOTIFY_ID),
        ("spotify", f"https://open.spotify.com/show/{SPOTIFY_ID}?si=abc123", SPOTIFY_ID),
        ("spotify", f"spotify:show:{SPOTIFY_ID}", SPOTIFY_ID),
        ("apple_music", "id1200361736", "1200361736"),
        ("apple_music", "1200361736", "1200361736"),
        (
            "apple_music",
            "https://podcasts.apple.com/us/podcast/the-daily/id1200361736?i=1000",
            "1200361736",
        ),
        ("deezer", "https://www.deezer.com/fr/show/1234567", "1234567"),
        ("amazon_music", f"https://music.amazon.com/podcasts/{AMAZON_ID}/my-show", AMAZON_ID),
        ("amazon_music", AMAZON_ID.upper(), AMAZON_ID),
        ("iheartradio", "https://www.iheart.com/podcast/1119-my-show-26940277/", "26940277"),
        ("tunein", "https://tunein.com/podcasts/Comedy-Podcasts/My-Show-p1234567/", "p1234567"),
        ("tunein", "P1234567", "p1234567"),
        ("podchaser", "https://www.podchaser.com/podcasts/my-show-123456", "123456"),
        ("audiomack", "https://audiomack.com/My-Artist", "my-artist"),
        ("audiomack", "@my-artist", "my-artist"),
    ],
)
def test_manual_platforms_accept_their_real_id_and_link_forms(platform, value, canonical):
    assert get_provider(platform).normalize_listing_id(f"  {value} ") == canonical


@pytest.mark.parametrize(
    ("platform", "value"),
    [
        ("spotify", "4rOoJ6Egrf8K2Iryw"),  # too short
        ("spotify", f"https://open.spotify.com/episode/{SPOTIFY_ID}"),  # an episode, not a show
        ("spotify", f"https://evil.example/show/{SPOTIFY_ID}"),
        ("apple_music", "https://podcasts.apple.com/us/podcast/the-daily"),
        ("apple_music", "idabc"),
        ("deezer", "https://www.deezer.com/album/1234567"),
        ("amazon_music", "https://music.amazon.com/albums/B0123"),
        ("iheartradio", "https://www.iheart.com/live/station-123/"),
        ("tunein", "https://tunein.com/radio/Some-Station-s12345/"),
        ("podchaser", "https://www.podchaser.com/creators/someone"),
        ("audiomack", "https://audiomack.com/upload"),
        ("audiomack", "https://soundcloud.com/artist"),
    ],
)
def test_manual_platforms_refuse_what_is_not_a_listing(platform, value):
    with pytest.raises(ValueError, match=r"\S"):
        get_provider(platform).normalize_listing_id(value)


def test_a_stand_in_provider_serves_its_platform_until_the_original_is_put_back(api_client):
    class StandIn(AudiomackProvider):
        uploads = True

    original = get_provider("audiomack")
    provider_replace(StandIn())
    try:
        assert isinstance(get_provider("audiomack"), StandIn)
        listed = {p["id"]: p for p in api_client.get("/api/v1/platforms").json()}
        assert listed["audiomack"]["uploads"] is True
    finally:
        provider_replace(original)
    assert get_provider("audiomack") is original
    assert len(all_providers()) == len(PLATFORM_IDS)
