"""What an episode needs to know about its media, read from the stored file itself.

The byte size comes from the storage backend (``stat`` / ``HeadObject``) and the duration from
the file's own headers with mutagen, so neither can be claimed wrongly by a client.
"""

from __future__ import annotations

from dataclasses import dataclass

import mutagen

from core.errors import InvalidInput
from core.storage import get_storage


@dataclass(frozen=True)
class MediaFacts:
    size_bytes: int
    duration_ms: int


def media_probe(*, media_key: str) -> MediaFacts:
    """Size and duration of the stored file at ``media_key``.

    Raises :class:`InvalidInput` (``media_missing``, ``media_unreadable``) when the file is not
    there or is not audio/video mutagen can read: a permanent refusal. An outage of the storage
    itself propagates as the backend's own error (``OSError``, botocore's), which is transient.
    """
    storage = get_storage()
    try:
        size = storage.size(media_key)
        with storage.open(media_key) as stream:
            parsed = mutagen.File(stream)
    except FileNotFoundError as exc:
        raise InvalidInput("The media file is not in storage.", code="media_missing") from exc
    except mutagen.MutagenError as exc:
        raise InvalidInput(
            "The media file could not be read as audio or video.", code="media_unreadable"
        ) from exc
    length = getattr(getattr(parsed, "info", None), "length", 0) or 0
    if parsed is None or size <= 0 or length <= 0:
        raise InvalidInput(
            "The media file could not be read as audio or video.", code="media_unreadable"
        )
    return MediaFacts(size_bytes=size, duration_ms=round(length * 1000))
