"""Uploading a job's asset to YouTube: ``videos.insert`` as a resumable upload.

- The asset is streamed from its URL (or our storage) in ``UPLOAD_CHUNK_SIZE`` pieces through
  ``MediaIoBaseUpload``; the library reads each chunk from the stream while sending it, so
  memory stays flat whatever the file size.
- The resumable session URI is stored on the job as soon as YouTube hands it out. A retried or
  re-delivered job asks that session how much it already has (``PUT`` with
  ``Content-Range: bytes */TOTAL``) and continues from there instead of uploading twice; the
  client's own ``num_retries`` is not used (it may resend a consumed stream as an empty body).
- A future ``scheduledAt`` is published by YouTube itself: ``privacyStatus: private`` with
  ``publishAt``, so nothing is public before it even though the upload starts early.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone
from google.auth import exceptions as auth_exceptions
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest, MediaIoBaseUpload

from providers.base import ProgressCallback, PublishResult
from providers.errors import PermanentProviderError, ProviderError
from providers.youtube.client import build_youtube
from providers.youtube.errors import NETWORK_ERRORS, translate_google_error
from uploads.assets import open_asset

if TYPE_CHECKING:
    from channels_app.models import Channel
    from uploads.models import Job

WATCH_URL = "https://www.youtube.com/watch?v={video_id}"
_SESSION_GONE = frozenset({404, 410})


def _video_body(job: Job) -> dict:
    status: dict = {"privacyStatus": "public", "selfDeclaredMadeForKids": False}
    if job.scheduled_at and job.scheduled_at > timezone.now():
        status = {
            "privacyStatus": "private",
            "publishAt": job.scheduled_at.isoformat().replace("+00:00", "Z"),
            "selfDeclaredMadeForKids": False,
        }
    return {"snippet": {"title": job.title, "description": job.description}, "status": status}


def _resume(request: HttpRequest, session_uri: str, size: int) -> dict | None:
    """Point ``request`` at ``session_uri`` at the offset YouTube confirms.

    Returns the video resource when the session already holds every byte (the previous
    attempt finished but died before recording it), else ``None``. A session YouTube no longer
    knows leaves ``request`` to start a new one.
    """
    response, content = request.http.request(
        session_uri, "PUT", headers={"Content-Range": f"bytes */{size}", "Content-Length": "0"}
    )
    if response.status in (200, 201):
        return request.postproc(response, content)
    if response.status == 308:
        request.resumable_uri = session_uri
        confirmed = response.get("range")  # "bytes=0-N"; absent when nothing arrived
        request.resumable_progress = int(confirmed.rsplit("-", 1)[1]) + 1 if confirmed else 0
        return None
    if response.status in _SESSION_GONE:
        return None
    raise HttpError(response, content, uri=session_uri)


def upload_video(*, channel: Channel, job: Job, on_progress: ProgressCallback) -> PublishResult:
    """Upload ``job``'s asset to ``channel``; raise a ``ProviderError`` on failure."""
    from channels_app.services import channel_credentials
    from uploads.services import job_session_save

    try:
        youtube = build_youtube(channel_credentials(channel))
        with open_asset(job.asset_url) as stream:
            media = MediaIoBaseUpload(
                stream,
                mimetype="application/octet-stream",
                chunksize=settings.UPLOAD_CHUNK_SIZE,
                resumable=True,
            )
            request = youtube.videos().insert(
                part="snippet,status", body=_video_body(job), media_body=media
            )
            video = (
                _resume(request, job.upload_session_uri, media.size())
                if (job.upload_session_uri)
                else None
            )
            while video is None:
                try:
                    progress, video = request.next_chunk(num_retries=0)
                finally:
                    # Saved even when this chunk failed: the retry resumes the same session.
                    if request.resumable_uri and request.resumable_uri != job.upload_session_uri:
                        job_session_save(job=job, session_uri=request.resumable_uri)
                if progress is not None:
                    on_progress(int(progress.progress() * 100))
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
