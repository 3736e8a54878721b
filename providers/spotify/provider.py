"""Spotify lists podcasts from their RSS feed (Spotify for Creators); no upload API."""

import re

from providers.base import FeedDirectoryProvider
from providers.platforms import Platform


class SpotifyProvider(FeedDirectoryProvider):
    platform = Platform.SPOTIFY
    description = (
        "Spotify lists your show from the RSS feed Gateway hosts: submit its URL once in "
        "Spotify for Creators; each upload is a new episode in that feed."
    )
    media_types = ("audio", "video")
    # A show id is 22 base62 characters; links look like open.spotify.com/show/<id>?si=...
    id_patterns = (
        re.compile(r"(?P<id>[0-9A-Za-z]{22})"),
        re.compile(r"spotify:show:(?P<id>[0-9A-Za-z]{22})"),
        re.compile(
            r"(?:https?://)?open\.spotify\.com/(?:intl-[a-z-]+/)?show/(?P<id>[0-9A-Za-z]{22})"
            r"/?(?:\?.*)?",
            re.IGNORECASE,
        ),
    )
    id_example = "https://open.spotify.com/show/4rOoJ6Egrf8K2IrywzwOMk"
    listing_url_template = "https://open.spotify.com/show/{id}"
    submission_url = "https://creators.spotify.com/"
