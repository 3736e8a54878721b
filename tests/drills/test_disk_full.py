"""Drill: the disk of local storage fills up during a presigned PUT.

A real full filesystem needs a mount (tmpfs, loop device), which needs root; ``RLIMIT_FSIZE``
gives ``EFBIG``, not ``ENOSPC``. What the code sees of a full disk is ``write()`` raising
``OSError(ENOSPC)`` part-way, so the drill gives the storage's temporary file exactly that:
after a few chunks are on disk, the next write fails like a full disk does.
"""

from __future__ import annotations

import errno
import io
import os

import pytest
from django.test import Client

from core import storage as storage_module
from uploads.models import StoredAsset

pytestmark = [pytest.mark.drill, pytest.mark.django_db]

SIZE = 3 * 1024 * 1024


class _FillingFile(io.FileIO):
    """A file on a disk with ``room`` bytes left."""

    room = 1024 * 1024

    def write(self, data) -> int:  # type: ignore[override]
        if self.tell() + len(data) > self.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return super().write(data)


def test_a_full_disk_during_a_presigned_put_is_a_clean_503_and_the_url_stays_usable(
    auth_client, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGE_URL = ""
    presigned = auth_client.post(
        "/api/v1/upload/presign",
        {"filename": "big.mp4", "contentType": "video/mp4", "sizeBytes": SIZE},
        format="json",
    ).json()
    path = presigned["uploadUrl"].split("localhost:4000", 1)[1]
    body = os.urandom(SIZE)
    real_fdopen = os.fdopen

    def fdopen_on_a_full_disk(fd, mode="r", *args, **kwargs):
        return _FillingFile(fd, "wb") if mode == "wb" else real_fdopen(fd, mode, *args, **kwargs)

    monkeypatch.setattr(storage_module.os, "fdopen", fdopen_on_a_full_disk)

    full = Client(raise_request_exception=False).put(path, data=body, content_type="video/mp4")

    assert full.status_code == 503
    assert full.json() == {
        "type": "server_error",
        "errors": [
            {"code": "storage_full", "detail": "Our storage is full; retry later.", "attr": None}
        ],
    }
    assert b"Traceback" not in full.content
    assert [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()] == []  # nothing half-kept
    assert StoredAsset.objects.get().uploaded_at is None

    # when space is freed, the same URL finishes the upload
    monkeypatch.setattr(storage_module.os, "fdopen", real_fdopen)
    retried = Client().put(path, data=body, content_type="video/mp4")

    assert retried.status_code == 200
    asset = StoredAsset.objects.get()
    assert asset.uploaded_at is not None
    assert (settings.MEDIA_ROOT / asset.key).read_bytes() == body
