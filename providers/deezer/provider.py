"""Deezer lists podcasts from their RSS feed (Deezer for Podcasters); no upload API."""

import re

from providers.base import ManualProvider
from providers.platforms import Platform


class DeezerProvider(ManualProvider):
    platform = Platform.DEEZER
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
