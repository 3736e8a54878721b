"""Uploading a video to YouTube: ``videos.insert`` as a resumable upload.

- The request's stream is sent in ``UPLOAD_CHUNK_SIZE`` requests (``_StreamMedia``), each body
  streamed from the asset in 1 MiB blocks of one buffer (``providers.streaming``), so memory
  stays flat whatever the file or chunk size. Progress is reported as YouTube confirms chunks.
- The resumable session URI is handed to ``on_session`` as soon as YouTube hands it out. A
  retried or re-delivered upload (``request.resume_session``) asks that session how much it
  already has (``PUT`` with ``Content-Range: bytes */TOTAL``) and continues from there instead
  of uploading twice; the client's own ``num_retries`` is not used (it may resend a consumed
  stream as an empty body).
- ``request.before_call("videos.insert")`` runs before a new session is opened, never when an
  open one is resumed: the quota is charged once per video.
- A future ``scheduledAt`` is published by YouTube itself: ``privacyStatus: private`` with
  ``publishAt``, so nothing is public before it even though the upload starts early.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.utils import timezone
from google.auth import exceptions as auth_exceptions
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest, MediaUpload

from providers.base import (
    OAuthClientConfig,
    ProgressCallback,
    PublishRequest,
    PublishResult,
    SessionCallback,
)
from providers.errors import PermanentProviderError, ProviderError
from providers.streaming import ProgressReporter, StreamedRange, block_buffer
from providers.youtube.client import build_youtube, youtube_credentials
from providers.youtube.errors import NETWORK_ERRORS, translate_google_error

WATCH_URL = "https://www.youtube.com/watch?v={video_id}"
_SESSION_GONE = frozenset({404, 410})


def _video_body(request: PublishRequest) -> dict:
    status: dict = {"privacyStatus": "public", "selfDeclaredMadeForKids": False}
    if request.scheduled_at and request.scheduled_at > timezone.now():
        status = {
            "privacyStatus": "private",
            "publishAt": request.scheduled_at.isoformat().replace("+00:00", "Z"),
            "selfDeclaredMadeForKids": False,
        }
    snippet = {"title": request.title, "description": request.description}
    return {"snippet": snippet, "status": status}


class _StreamMedia(MediaUpload):
    """The request's stream as the library's resumable media.

    ``MediaIoBaseUpload`` hands httplib2 a file object that http.client reads 8 KiB at a time;
    here ``getbytes`` returns the chunk as a :class:`StreamedRange` (sized, iterable), which
    http.client sends block by block like any iterable body of known length.
    """

    def __init__(self, request: PublishRequest) -> None:
        super().__init__()
        self._stream = request.stream
        self._size = request.size_bytes
        self._buffer = block_buffer()

    def chunksize(self) -> int:
        return settings.UPLOAD_CHUNK_SIZE

    def mimetype(self) -> str:
        return "application/octet-stream"

    def size(self) -> int:
        return self._size

    def resumable(self) -> bool:
        return True

    def getbytes(self, begin: int, length: int) -> StreamedRange:  # type: ignore[override]
        length = max(0, min(length, self._size - begin))
        return StreamedRange(self._stream, begin, length, self._buffer)


def _resume(insert: HttpRequest, session_uri: str, size: int) -> dict | None:
    """Point ``insert`` at ``session_uri`` at the offset YouTube confirms.

    Returns the video resource when the session already holds every byte (the previous
    attempt finished but died before recording it), else ``None``. A session YouTube no longer
    knows leaves ``insert`` to start a new one.
    """
    response, content = insert.http.request(
        session_uri, "PUT", headers={"Content-Range": f"bytes */{size}", "Content-Length": "0"}
    )
    if response.status in (200, 201):
        return insert.postproc(response, content)
    if response.status == 308:
        insert.resumable_uri = session_uri
        confirmed = response.get("range")  # "bytes=0-N"; absent when nothing arrived
        insert.resumable_progress = int(confirmed.rsplit("-", 1)[1]) + 1 if confirmed else 0
        return None
    if response.status in _SESSION_GONE:
        return None
    raise HttpError(response, content, uri=session_uri)


def upload_video(
    request: PublishRequest,
    *,
    client: OAuthClientConfig,
    on_progress: ProgressCallback,
    on_session: SessionCallback,
) -> PublishResult:
    """Upload ``request`` as a video of the grant's channel, authenticating as ``client``;
    a ``ProviderError`` on failure."""
    session = request.resume_session
    try:
        youtube = build_youtube(youtube_credentials(request.refresh_token, client))
        media = _StreamMedia(request)
        progress = ProgressReporter(on_progress, media.size())
        insert = youtube.videos().insert(
            part="snippet,status", body=_video_body(request), media_body=media
        )
        video = None
        if session:
            video = _resume(insert, session, media.size())
        if video is None and insert.resumable_uri is None:
            request.before_call("videos.insert")  # a new session; resuming one is no new call
        while video is None:
            try:
                status, video = insert.next_chunk(num_retries=0)
            finally:
                # Saved even when this chunk failed: the retry resumes the same session.
                if insert.resumable_uri and insert.resumable_uri != session:
                    session = insert.resumable_uri
                    on_session(session)
            if status is not None:
                progress.done(status.resumable_progress)
    except ProviderError:
        raise
    except (HttpError, auth_exceptions.GoogleAuthError, *NETWORK_ERRORS) as exc:
        raise translate_google_error(exc) from exc
    video_id = video.get("id") if isinstance(video, dict) else None
    if not video_id:
        raise PermanentProviderError(
            f"YouTube accepted the upload without a video id: {json.dumps(video)[:200]}"
        )
    return PublishResult(provider_id=video_id, url=WATCH_URL.format(video_id=video_id))
