"""Files uploaded into our own storage (``StoredAsset``: presign, the signed local PUT), and the
check of a job's ``assetUrl``: one of those files, or a public https URL."""

from __future__ import annotations

import errno
import logging
import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING
from uuid import uuid4

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.services import user_storage_limit
from core.errors import Conflict, Forbidden, InvalidInput, NotFound, ServiceUnavailable
from core.ssrf import UnsafeAssetUrl, resolve_target
from core.storage import InvalidUploadToken, LocalStorage, PresignedPut, get_storage
from uploads import selectors
from uploads.models import StoredAsset

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

# A disk (or quota) that is full: the upload can be retried with the same URL once space is freed.
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def asset_url_check(*, user: User, asset_url: str) -> None:
    """Refuse (400 ``invalid_asset_url``) what is neither our own upload nor a public https URL."""
    storage = get_storage()
    key = storage.key_for_asset_url(asset_url)
    if key is not None:
        assets = user.stored_assets.filter(key=key)
        if isinstance(storage, LocalStorage):
            # Our own PUT endpoint knows when a file is complete; an object store does not tell.
            assets = assets.filter(uploaded_at__isnull=False)
        if not assets.exists():
            raise InvalidInput(
                "This upload does not exist or is not finished.",
                code="invalid_asset_url",
                attr="asset_url",
            )
        return
    try:
        resolve_target(asset_url)
    except UnsafeAssetUrl as exc:
        raise InvalidInput(str(exc), code="invalid_asset_url", attr="asset_url") from exc


# Audio and video types the upload platforms and podcast directories accept.
ACCEPTED_MEDIA_TYPES = frozenset(
    {
        "video/mp4",
        "video/quicktime",
        "video/webm",
        "video/x-matroska",
        "video/x-msvideo",
        "video/mpeg",
        "video/3gpp",
        "video/x-flv",
        "audio/mpeg",
        "audio/mp4",
        "audio/x-m4a",
        "audio/aac",
        "audio/wav",
        "audio/x-wav",
        "audio/ogg",
        "audio/flac",
    }
)
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def stored_asset_presign(
    *, user: User, filename: str, content_type: str, size_bytes: int
) -> PresignedPut:
    """Reserve storage for one file and return a short-lived URL to upload it to.

    The storage check runs under a lock on the user's row, so concurrent presigns cannot
    together pass the plan's storage limit.
    """
    content_type = content_type.split(";", 1)[0].strip().lower()
    if content_type not in ACCEPTED_MEDIA_TYPES:
        raise InvalidInput(
            "Only audio and video files the platforms accept can be uploaded.",
            code="unsupported_media_type",
            attr="content_type",
        )
    if not 0 < size_bytes <= settings.UPLOAD_MAX_BYTES:
        raise InvalidInput(
            f"Files are 1 byte to {settings.UPLOAD_MAX_BYTES} bytes.",
            code="invalid",
            attr="size_bytes",
        )
    safe_name = _FILENAME_UNSAFE.sub("-", filename).strip(".-")[:100] or "asset"
    key = f"uploads/{user.pk}/{uuid4().hex}/{safe_name}"
    with transaction.atomic():
        type(user).objects.select_for_update().filter(pk=user.pk).values_list("pk").get()
        limit = user_storage_limit(user)
        used = selectors.storage_used_bytes(user=user)
        if limit is not None and used + size_bytes > limit:
            raise Forbidden(
                "This file would exceed your plan's storage.", code="storage_limit_reached"
            )
        StoredAsset.objects.create(
            user=user,
            key=key,
            filename=filename[:255],
            content_type=content_type,
            size_bytes=size_bytes,
        )
    return get_storage().presign_put(key=key, content_type=content_type, size_bytes=size_bytes)


def stored_asset_receive(*, token: str, content_type: str, chunks: Iterator[bytes]) -> StoredAsset:
    """Store the body of a signed local PUT. Raises ``InvalidUploadToken`` for a bad token and
    ``InvalidInput`` when type or size differ from what was presigned (nothing is kept)."""
    storage = get_storage()
    if not isinstance(storage, LocalStorage):
        raise NotFound("Uploads go to the configured object store.")
    signed = LocalStorage.read_token(token)
    asset = StoredAsset.objects.filter(key=signed.key).first()
    if asset is None:
        raise InvalidUploadToken("unknown upload")
    if asset.uploaded_at is not None:
        # An upload URL is single-use: a file jobs may already point at is never replaced.
        raise Conflict("This upload URL was already used.", code="already_uploaded")
    if content_type.split(";", 1)[0].strip().lower() != signed.content_type:
        raise InvalidInput("Content-Type differs from the presigned one.", code="invalid")

    def limited() -> Iterator[bytes]:
        received = 0
        for chunk in chunks:
            received += len(chunk)
            if received > signed.size_bytes:
                raise InvalidInput("The body is larger than presigned.", code="invalid")
            yield chunk
        if received != signed.size_bytes:
            raise InvalidInput("The body is smaller than presigned.", code="invalid")

    try:
        storage.write(signed.key, limited())
    except OSError as exc:
        if exc.errno not in _NO_SPACE:
            raise
        logger.error("local storage is full: %s", os.strerror(exc.errno))
        raise ServiceUnavailable("Our storage is full; retry later.", code="storage_full") from exc
    StoredAsset.objects.filter(pk=asset.pk).update(uploaded_at=timezone.now())
    asset.refresh_from_db()
    return asset
