"""STAND-IN until the channels branch is merged (its YouTube provider replaces this file)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from providers.base import ProgressCallback, Provider, PublishResult
from providers.platforms import Platform

if TYPE_CHECKING:
    from channels_app.models import Channel
    from uploads.models import Job


class YouTubeProvider(Provider):
    platform = Platform.YOUTUBE
    connect = "oauth"
    uploads = True
    media_types = ("video",)
    title_max_length = 100
    description_max_length = 5000

    def publish(
        self, *, channel: Channel, job: Job, on_progress: ProgressCallback
    ) -> PublishResult:
        from providers.youtube.upload import upload_video

        return upload_video(channel=channel, job=job, on_progress=on_progress)
