"""Deezer lists podcasts from their RSS feed (Deezer for Podcasters); no upload API."""

import re

from providers.base import FeedDirectoryProvider
from providers.platforms import Platform


class DeezerProvider(FeedDirectoryProvider):
    platform = Platform.DEEZER
    description = (
        "Deezer lists your show from the RSS feed Gateway hosts: submit its URL once in "
        "Deezer for Podcasters; each upload (audio only) is a new episode in that feed."
    )
    media_types = ("audio",)
    # deezer.com/show/<digits>, optionally with a language segment (deezer.com/fr/show/...).
    id_patterns = (
        re.compile(r"(?P<id>\d{3,12})"),
        re.compile(
            r"(?:https?://)?(?:www\.)?deezer\.com/(?:[a-z]{2}/)?show/(?P<id>\d{3,12})"
            r"/?(?:[?#].*)?",
            re.IGNORECASE,
        ),
    )
    id_example = "https://www.deezer.com/show/1234567"
    listing_url_template = "https://www.deezer.com/show/{id}"
    submission_url = "https://podcasters.deezer.com/"
