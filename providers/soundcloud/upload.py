"""Uploading a track to SoundCloud: ``POST /tracks`` as one streamed multipart request.

- The body (``_MultipartBody``) is the form's text fields, the audio part's headers, the audio
  streamed from the request's stream in 1 MiB blocks of one buffer (``providers.streaming``)
  and the closing boundary, so memory stays flat whatever the file size; its length is known
  up front (``Content-Length``), no chunked encoding.
- SoundCloud has no resumable uploads: a failed request is sent again whole by the next attempt.
- The access token comes from a refresh just before the upload. SoundCloud's refresh tokens are
  single-use, so the new one is handed to ``request.on_grant_rotated`` before anything else
  happens (see ``SoundCloudProvider.access_token_refresh``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import requests
from django.conf import settings
from urllib3.fields import RequestField
from urllib3.filepost import choose_boundary

from providers.base import ProgressCallback, PublishRequest, PublishResult
from providers.errors import (
    GrantRevokedError,
    PermanentProviderError,
    TransientProviderError,
)
from providers.streaming import ProgressReporter, StreamedRange, block_buffer


def _filename(media_type: str) -> str:
    extension = media_type.rsplit("/", 1)[-1].removeprefix("x-")
    return f"upload.{extension or 'bin'}"


def _part_head(
    boundary: str, name: str, *, filename: str | None = None, content_type: str | None = None
) -> bytes:
    field = RequestField(name, b"", filename=filename)
    field.make_multipart(content_type=content_type)
    return f"--{boundary}\r\n{field.render_headers()}".encode()


class _MultipartBody:
    """``multipart/form-data`` with the track's fields and its audio, as a sized iterable."""

    def __init__(self, request: PublishRequest, on_sent: Callable[[int], None]) -> None:
        boundary = choose_boundary()
        self.content_type = f"multipart/form-data; boundary={boundary}"
        fields = [
            ("track[title]", request.title),
            ("track[description]", request.description),
            ("track[sharing]", "public"),
        ]
        self._head = b"".join(
            _part_head(boundary, name) + value.encode() + b"\r\n" for name, value in fields
        ) + _part_head(
            boundary,
            "track[asset_data]",
            filename=_filename(request.media_type),
            content_type=request.media_type,
        )
        self._audio = StreamedRange(
            request.stream, 0, request.size_bytes, block_buffer(), on_sent=on_sent
        )
        self._tail = f"\r\n--{boundary}--\r\n".encode()

    def __len__(self) -> int:
        return len(self._head) + len(self._audio) + len(self._tail)

    def __iter__(self) -> Iterator[bytes | memoryview]:
        yield self._head
        yield from self._audio
        yield self._tail


def upload_track(
    request: PublishRequest, *, access_token: str, on_progress: ProgressCallback
) -> PublishResult:
    """Send the audio of ``request`` as a new public track; a ``ProviderError`` on failure."""
    progress = ProgressReporter(on_progress, request.size_bytes)
    body = _MultipartBody(request, on_sent=progress.done)
    try:
        response = requests.post(
            f"{settings.SOUNDCLOUD_API_URL.rstrip('/')}/tracks",
            data=body,  # type: ignore[arg-type]  # an iterable of buffers: each is sent as is
            headers={
                "Authorization": f"OAuth {access_token}",
                "Accept": "application/json",
                "Content-Type": body.content_type,
            },
            timeout=(settings.PROVIDER_HTTP_TIMEOUT, settings.SOUNDCLOUD_HTTP_TIMEOUT),
        )
    except requests.RequestException as exc:
        raise TransientProviderError(
            f"SoundCloud's upload did not complete ({type(exc).__name__})."
        ) from exc
    return _track_result(response)


def _track_result(response: requests.Response) -> PublishResult:
    status = response.status_code
    if status == 401:
        raise GrantRevokedError("SoundCloud no longer accepts this grant.", code="grant_revoked")
    if status == 429 or status >= 500:
        raise TransientProviderError(f"SoundCloud answered {status} to the upload.")
    if status not in (200, 201):
        raise PermanentProviderError(
            f"SoundCloud refused the upload (HTTP {status}).", code="upload_refused"
        )
    try:
        track: Any = response.json()
    except ValueError as exc:
        raise PermanentProviderError(
            "SoundCloud's answer to the upload was not JSON.", code="bad_response"
        ) from exc
    if not isinstance(track, dict) or not track.get("id"):
        raise PermanentProviderError(
            "SoundCloud accepted the upload without a track id.", code="bad_response"
        )
    return PublishResult(provider_id=str(track["id"]), url=str(track.get("permalink_url", "")))
