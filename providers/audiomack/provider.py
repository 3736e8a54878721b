"""Audiomack: a music and podcast platform whose upload API is open to partners only.

Creators connect their profile by its slug (audiomack.com/<slug>). Audiomack documents no
upload endpoint outside its partner programme, so Gateway does not publish there
(``uploads = False``): an upload to an Audiomack channel is refused with 409
``upload_unsupported``.
"""

import re

from providers.base import ManualProvider
from providers.platforms import Platform

# Paths on audiomack.com that are pages, not artist profiles.
_RESERVED = {"search", "upload", "dashboard", "trending", "login", "signup", "about", "playlists"}


class AudiomackProvider(ManualProvider):
    platform = Platform.AUDIOMACK
    description = (
        "Audiomack's API is open to partners only and documents no upload endpoint: Gateway "
        "records your profile; you upload on audiomack.com yourself."
    )
    media_types = ("audio",)
    id_patterns = (
        re.compile(r"@?(?P<id>[a-z0-9][a-z0-9_-]{1,79})", re.IGNORECASE),
        re.compile(
            r"(?:https?://)?(?:www\.)?audiomack\.com/(?P<id>[a-z0-9][a-z0-9_-]{1,79})"
            r"/?(?:[?#].*)?",
            re.IGNORECASE,
        ),
    )
    id_example = "https://audiomack.com/your-artist-name"
    listing_url_template = "https://audiomack.com/{id}"
    submission_url = "https://audiomack.com/upload"

    def normalize_listing_id(self, value: str) -> str:
        slug = super().normalize_listing_id(value).lower()
        if slug in _RESERVED:
            raise ValueError(f"{value!r} is an Audiomack page, not an artist profile.")
        return slug
