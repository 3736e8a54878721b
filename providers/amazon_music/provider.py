"""Amazon Music lists podcasts from their RSS feed (Amazon Music for Podcasters)."""

import re

from providers.base import FeedDirectoryProvider
from providers.platforms import Platform

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


class AmazonMusicProvider(FeedDirectoryProvider):
    platform = Platform.AMAZON_MUSIC
    description = (
        "Amazon Music lists your show from the RSS feed Gateway hosts: submit its URL "
        "once in Amazon Music for Podcasters; each upload is a new episode in that feed."
    )
    media_types = ("audio", "video")
    # A show is music.amazon.<tld>/podcasts/<uuid>[/<slug>].
    id_patterns = (
        re.compile(rf"(?P<id>{_UUID})", re.IGNORECASE),
        re.compile(
            rf"(?:https?://)?music\.amazon\.[a-z.]{{2,6}}/podcasts/(?P<id>{_UUID})"
            r"(?:/[^?#]*)?(?:[?#].*)?",
            re.IGNORECASE,
        ),
    )
    id_example = "https://music.amazon.com/podcasts/0e8a7e1e-5d1b-4b7a-9d4e-2f1c3b4a5d6e"
    listing_url_template = "https://music.amazon.com/podcasts/{id}"
    submission_url = "https://podcasters.amazon.com/"

    def normalize_listing_id(self, value: str) -> str:
        return super().normalize_listing_id(value).lower()
