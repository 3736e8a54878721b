"""TuneIn lists podcasts from their RSS feed; no upload API."""

import re

from providers.base import FeedDirectoryProvider
from providers.platforms import Platform


class TuneInProvider(FeedDirectoryProvider):
    platform = Platform.TUNEIN
    description = (
        "TuneIn lists your show from the RSS feed Gateway hosts: submit its URL once on "
        "its podcaster page; each upload (audio only) is a new episode in that feed."
    )
    media_types = ("audio",)
    # Program ids are "p" + digits: tunein.com/podcasts/<category>/<slug>-p1234567/
    id_patterns = (
        re.compile(r"(?P<id>p\d{3,10})", re.IGNORECASE),
        re.compile(
            r"(?:https?://)?(?:www\.)?tunein\.com/(?:podcasts/[^?#]*?|radio/[^?#]*?)"
            r"(?:-|/)(?P<id>p\d{3,10})/?(?:[?#].*)?",
            re.IGNORECASE,
        ),
    )
    id_example = "https://tunein.com/podcasts/Comedy-Podcasts/Example-Show-p1234567/"
    listing_url_template = "https://tunein.com/podcasts/{id}/"
    submission_url = "https://tunein.com/podcasters/"

    def normalize_listing_id(self, value: str) -> str:
        return super().normalize_listing_id(value).lower()
