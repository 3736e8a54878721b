"""Uploading a track to SoundCloud: ``POST /tracks`` as one streamed multipart request.

- The body is built by requests-toolbelt's ``MultipartEncoder``, which reads the audio from the
  request's stream piece by piece while requests sends it, so memory stays flat whatever the
  file size; its length is known up front (``Content-Length``), no chunked encoding.
- SoundCloud has no resumable uploads: a failed request is sent again whole by the next attempt.
- The access token comes from a refresh just before the upload. SoundCloud's refresh tokens are
  single-use, so the new one is handed to ``request.on_grant_rotated`` before anything else
  happens (see ``SoundCloudProvider.access_token_refresh``).
"""

from __future__ import annotations

from typing import Any, BinaryIO

import requests
from django.conf import settings
from requests_toolbelt import MultipartEncoder, MultipartEncoderMonitor

from providers.base import ProgressCallback, PublishRequest, PublishResult
from providers.errors import (
    GrantRevokedError,
    PermanentProviderError,
    TransientProviderError,
)


class _Remaining:
    """The request's stream as requests-toolbelt wants a file part: ``read`` and a ``len`` of
    what is left, which works for every seekable stream (files, S3 objects, remote assets)."""

    def __init__(self, stream: BinaryIO, size: int) -> None:
        self._stream = stream
        self.len = size

    def read(self, size: int = -1) -> bytes:
        if size < 0 or size > self.len:
            size = self.len
        data = self._stream.read(size)
        if size and not data:
            raise TransientProviderError("The asset ended before its announced length.")
        self.len -= len(data)
        return data


def _filename(media_type: str) -> str:
    extension = media_type.rsplit("/", 1)[-1].removeprefix("x-")
    return f"upload.{extension or 'bin'}"


def upload_track(
    request: PublishRequest, *, access_token: str, on_progress: ProgressCallback
) -> PublishResult:
    """Send the audio of ``request`` as a new public track; a ``ProviderError`` on failure."""
    encoder = MultipartEncoder(
        fields=[
            ("track[title]", request.title),
            ("track[description]", request.description),
            ("track[sharing]", "public"),
            (
                "track[asset_data]",
                (
                    _filename(request.media_type),
                    _Remaining(request.stream, request.size_bytes),
                    request.media_type,
                ),
            ),
        ]
    )
    reported = -1

    def progress(monitor: MultipartEncoderMonitor) -> None:
        nonlocal reported
        percent = monitor.bytes_read * 100 // monitor.len
        if percent != reported:  # each report is a database write: only when it moves
            reported = percent
            on_progress(percent)

    body = MultipartEncoderMonitor(encoder, progress)
    try:
        response = requests.post(
            f"{settings.SOUNDCLOUD_API_URL.rstrip('/')}/tracks",
            data=body,
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
