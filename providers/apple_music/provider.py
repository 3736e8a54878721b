"""Apple Podcasts reads a show's RSS feed (submitted in Podcasts Connect); no upload API."""

import re

from providers.base import FeedDirectoryProvider
from providers.platforms import Platform


class ApplePodcastsProvider(FeedDirectoryProvider):
    platform = Platform.APPLE_MUSIC
    description = (
        "Apple Podcasts lists your show from the RSS feed Gateway hosts: submit its URL "
        "once in Podcasts Connect; each upload is a new episode in that feed."
    )
    media_types = ("audio", "video")
    # The show's Apple id: "id1234567890", the digits alone, or a podcasts.apple.com link
    # (podcasts.apple.com/us/podcast/<slug>/id1234567890?i=...). Stored as the digits.
    id_patterns = (
        re.compile(r"(?:id)?(?P<id>\d{5,12})"),
        re.compile(
            r"(?:https?://)?(?:podcasts|itunes)\.apple\.com/(?:[a-z]{2}/)?podcast/"
            r"(?:[^/?#]+/)?id(?P<id>\d{5,12})/?(?:[?#].*)?",
            re.IGNORECASE,
        ),
    )
    id_example = "https://podcasts.apple.com/us/podcast/example/id1200361736"
    listing_url_template = "https://podcasts.apple.com/podcast/id{id}"
    submission_url = "https://podcastsconnect.apple.com/"
