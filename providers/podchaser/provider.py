"""Podchaser indexes podcasts from their RSS feed; no upload API."""

import re

from providers.base import FeedDirectoryProvider
from providers.platforms import Platform


class PodchaserProvider(FeedDirectoryProvider):
    platform = Platform.PODCHASER
    description = (
        "Podchaser lists your show from the RSS feed Gateway hosts: add its URL once on "
        "Podchaser; each upload is a new episode in that feed."
    )
    media_types = ("audio", "video")
    # podchaser.com/podcasts/<slug>-<digits>: the trailing number is the podcast id.
    id_patterns = (
        re.compile(r"(?P<id>\d{3,12})"),
        re.compile(
            r"(?:https?://)?(?:www\.)?podchaser\.com/podcasts/(?:[a-z0-9-]+-)?"
            r"(?P<id>\d{3,12})/?(?:[?#].*)?",
            re.IGNORECASE,
        ),
    )
    id_example = "https://www.podchaser.com/podcasts/example-show-123456"
    listing_url_template = "https://www.podchaser.com/podcasts/{id}"
    submission_url = "https://www.podchaser.com/creators"
