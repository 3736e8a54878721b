"""iHeartRadio lists podcasts from their RSS feed; no upload API."""

import re

from providers.base import FeedDirectoryProvider
from providers.platforms import Platform


class IHeartRadioProvider(FeedDirectoryProvider):
    platform = Platform.IHEARTRADIO
    description = (
        "iHeartRadio lists your show from the RSS feed Gateway hosts: submit its URL "
        "once on its podcaster page; each upload (audio only) is a new episode in that feed."
    )
    media_types = ("audio",)
    # iheart.com/podcast/<slug>-<digits>/ : the trailing number is the show id.
    id_patterns = (
        re.compile(r"(?P<id>\d{4,12})"),
        re.compile(
            r"(?:https?://)?(?:www\.)?iheart(?:radio)?\.com/podcast/(?:[a-z0-9-]+-)?"
            r"(?P<id>\d{4,12})/?(?:[?#].*)?",
            re.IGNORECASE,
        ),
    )
    id_example = "https://www.iheart.com/podcast/1119-example-show-26940277/"
    listing_url_template = "https://www.iheart.com/podcast/{id}/"
    submission_url = "https://www.iheart.com/content/submit-your-podcast/"
