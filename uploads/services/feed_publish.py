"""Uploads to a podcast directory's channel (Spotify, Apple Podcasts, ...): episodes of a show.

Those directories have no upload API; they read the show's RSS feed that Gateway hosts. So a
job on such a channel does not call its provider: it makes the asset an episode of the
channel's show through ``podcasts.services.episode_publish`` and succeeds once the episode is
live. The same asset sent to several directory channels of one show is one episode (the
podcasts seam is idempotent per show and media key), so every such job ends with the same guid.

A scheduled job is held QUEUED by the dispatcher until ``scheduledAt`` like any other; when it
runs, the episode is created live at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from botocore.exceptions import BotoCoreError, ClientError
from django.utils import timezone

from channels_app.models import Channel, ChannelStatus
from core.errors import Conflict, InvalidInput, NotFound
from core.storage import get_storage
from podcasts.links import feed_url
from podcasts.services import TEXT_MAX_BYTES, episode_publish
from providers.base import FeedDirectoryProvider, PublishResult
from providers.errors import PermanentProviderError, TransientProviderError
from uploads.models import Job, StoredAsset
from uploads.services.storage import asset_url_check

if TYPE_CHECKING:
    from accounts.models import User

# What a podcast feed can carry as an enclosure and the directories play (Apple's list: MP3,
# AAC/M4A, MP4, MOV; Spotify's ingestion takes the same), among the types presign accepts.
FEED_MEDIA_TYPES = frozenset(
    {"audio/mpeg", "audio/mp4", "audio/x-m4a", "audio/aac", "video/mp4", "video/quicktime"}
)


def feed_channel_publishable(channel: Channel) -> bool:
    """A directory channel takes uploads once it belongs to a show, PENDING (not listed yet:
    directories want episodes in the feed before they list it) or ACTIVE."""
    return channel.show_id is not None and channel.status in (
        ChannelStatus.ACTIVE,
        ChannelStatus.PENDING,
    )


def _upload_unsupported(provider: FeedDirectoryProvider) -> Conflict:
    return Conflict(
        f"This {provider.name} channel records a listing hosted elsewhere; connect it with "
        "one of your shows to publish episodes.",
        code="upload_unsupported",
    )


def feed_upload_check(
    *,
    user: User,
    channel: Channel,
    provider: FeedDirectoryProvider,
    asset_url: str,
    description: str,
) -> None:
    """Refuse what cannot become an episode of the channel's show: no show (409
    ``upload_unsupported``), an asset that is not one of the user's uploads (400
    ``invalid_asset_url``) or not media the feed carries for this directory (400
    ``unsupported_media_type``), a description over the feed's byte limit (400)."""
    if channel.show_id is None:
        raise _upload_unsupported(provider)
    if not feed_channel_publishable(channel):
        raise Conflict("The channel is not active; reconnect it first.", code="channel_not_active")
    asset_url_check(user=user, asset_url=asset_url)
    asset = _stored_asset(user_id=user.pk, asset_url=asset_url)
    if asset is None:
        raise InvalidInput(
            "A podcast episode is a file uploaded through presign, not a link.",
            code="invalid_asset_url",
            attr="asset_url",
        )
    kind = asset.content_type.split("/", 1)[0]
    if asset.content_type not in FEED_MEDIA_TYPES or kind not in provider.media_types:
        accepted = " or ".join(provider.media_types)
        raise InvalidInput(
            f"{provider.name} takes {accepted} episodes as MP3, AAC/M4A, MP4 or MOV.",
            code="unsupported_media_type",
            attr="asset_url",
        )
    if len(description.encode()) > TEXT_MAX_BYTES:
        raise InvalidInput(
            f"An episode description has at most {TEXT_MAX_BYTES} bytes.",
            code="invalid",
            attr="description",
        )


def _stored_asset(*, user_id: UUID, asset_url: str) -> StoredAsset | None:
    key = get_storage().key_for_asset_url(asset_url)
    if key is None:
        return None
    return StoredAsset.objects.filter(user_id=user_id, key=key).first()


def feed_episode_publish(
    *, provider: FeedDirectoryProvider, channel: Channel, job: Job
) -> PublishResult:
    """Make the job's asset a live episode of the channel's show; the job's result.

    Raises ``providers.errors`` errors like a platform would: permanent for a show or file
    gone or refused, transient for a storage outage.
    """
    if channel.show_id is None:  # the show was deleted after the job was accepted
        raise PermanentProviderError(str(_upload_unsupported(provider)), code="upload_unsupported")
    asset = _stored_asset(user_id=job.user_id, asset_url=job.asset_url)
    if asset is None:
        raise PermanentProviderError("The uploaded file is gone.", code="asset_unavailable")
    now = timezone.now()
    try:
        episode = episode_publish(
            show_id=channel.show_id,
            media_key=asset.key,
            media_type=asset.content_type,
            title=job.title,
            description=job.description,
            # The job runs once scheduledAt has passed: the episode is dated then, and live.
            publish_at=job.scheduled_at if job.scheduled_at and job.scheduled_at <= now else None,
        )
    except NotFound as exc:
        raise PermanentProviderError("The show is gone.", code="show_missing") from exc
    except InvalidInput as exc:
        raise PermanentProviderError(exc.message, code=exc.code) from exc
    except (OSError, BotoCoreError, ClientError) as exc:
        raise TransientProviderError(
            f"The storage could not be read ({type(exc).__name__})."
        ) from exc
    return PublishResult(provider_id=episode.guid, url=feed_url(channel.show_id))
