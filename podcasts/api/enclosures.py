"""Serving an episode's media behind ``<enclosure>``: HEAD, GET and single byte ranges.

Local storage streams the file (206 with the exact ``Content-Length`` and ``Content-Range``,
416 with ``Content-Range: bytes */size`` when the range starts past the end). S3 redirects a
GET to a short-lived presigned URL, where the store answers ranges itself; a HEAD is answered
here, since a presigned GET is not valid for HEAD.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase

from core.errors import NotFound
from core.storage import LocalStorage, S3Storage, Storage
from podcasts.models import Episode

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_CHUNK = 256 * 1024


class RangeNotSatisfiable(Exception):
    pass


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The (first, last) byte positions asked for by a ``Range`` header, or ``None`` for the
    whole file. A header we do not serve as a range (several ranges, other units, bad syntax)
    is ignored, as RFC 9110 allows; a range that starts past the end raises."""
    match = _RANGE.fullmatch(header.strip())
    if match is None or match.group(0) == "bytes=-":
        return None
    first, last = match.groups()
    if not first:  # suffix range: the last N bytes
        if int(last) == 0:
            raise RangeNotSatisfiable
        return max(0, size - int(last)), size - 1
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        raise RangeNotSatisfiable
    return start, min(int(last), size - 1) if last else size - 1


def _file_chunks(path: Path, start: int, length: int) -> Iterator[bytes]:
    with path.open("rb") as stream:
        stream.seek(start)
        while length > 0:
            data = stream.read(min(_CHUNK, length))
            if not data:
                return
            length -= len(data)
            yield data


def _headers(response: HttpResponseBase, episode: Episode, length: int) -> HttpResponseBase:
    response["Content-Type"] = episode.media_type
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = f'"{episode.guid}-{episode.media_size_bytes}"'
    response["Cache-Control"] = "public, max-age=86400"
    return response


def _local_response(
    storage: LocalStorage, episode: Episode, *, range_header: str, head: bool
) -> HttpResponseBase:
    path = storage.path(episode.media_key)
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:  # removed from storage behind the episode's back
        raise NotFound("Episode media not found.") from exc
    try:
        wanted = byte_range(range_header, size)
    except RangeNotSatisfiable:
        refusal = HttpResponse(status=416)
        refusal["Content-Range"] = f"bytes */{size}"
        refusal["Accept-Ranges"] = "bytes"
        return refusal
    start, end = wanted if wanted is not None else (0, size - 1)
    length = end - start + 1
    response: HttpResponseBase
    if head:
        response = HttpResponse(status=206 if wanted else 200)
    else:
        response = StreamingHttpResponse(
            _file_chunks(path, start, length), status=206 if wanted else 200
        )
    if wanted is not None:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return _headers(response, episode, length)


def media_response(
    storage: Storage, episode: Episode, *, range_header: str, head: bool
) -> HttpResponseBase:
    """The answer to a GET or HEAD of a live episode's enclosure URL."""
    if isinstance(storage, S3Storage):
        if head:
            return _headers(HttpResponse(), episode, episode.media_size_bytes)
        ttl = int(settings.PODCAST_MEDIA_URL_TTL.total_seconds())
        response = HttpResponseRedirect(storage.presigned_get(episode.media_key, expires_in=ttl))
        response["Cache-Control"] = "private, max-age=60"
        return response
    if not isinstance(storage, LocalStorage):
        raise TypeError(f"no media serving for {type(storage).__name__}")
    return _local_response(storage, episode, range_header=range_header, head=head)
