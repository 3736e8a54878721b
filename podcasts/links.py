"""The public addresses of a show's feed and of its episodes' media (under ``/feeds``)."""

from __future__ import annotations

import mimetypes
import re
import uuid
from pathlib import PurePosixPath

from django.conf import settings

# Podcasting 2.0: <podcast:guid> is the UUIDv5 of the feed URL (scheme and trailing slashes
# removed) in this namespace.
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
_EXTENSION = re.compile(r"\.[a-z0-9]{1,5}")  # also what the media route accepts


def feed_url(show_id: uuid.UUID) -> str:
    return f"{settings.PUBLIC_BASE_URL}/feeds/{show_id}.xml"


def podcast_guid_for(show_id: uuid.UUID) -> uuid.UUID:
    address = feed_url(show_id).split("://", 1)[-1].rstrip("/")
    return uuid.uuid5(PODCAST_GUID_NAMESPACE, address)


def media_extension(media_key: str, media_type: str) -> str:
    """A file extension for the enclosure URL (some podcast apps look at it), with its dot."""
    suffix = PurePosixPath(media_key).suffix.lower()
    if _EXTENSION.fullmatch(suffix):
        return suffix
    return mimetypes.guess_extension(media_type) or ".bin"


def enclosure_url(*, show_id: uuid.UUID, episode_id: uuid.UUID, extension: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/feeds/{show_id}/media/{episode_id}{extension}"
