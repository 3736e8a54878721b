"""Our own storage for presigned uploads: local files under ``var/media`` or an S3 bucket.

``STORAGE_URL`` unset: files live under ``MEDIA_ROOT``; presign hands out a URL of our own
signed PUT endpoint (``/api/v1/upload/blob/<token>``), the token carrying the key, size and
type, signed with the project key and expiring after ``PRESIGN_TTL``.

``STORAGE_URL=s3://bucket?endpoint_url=...&region=...``: any S3-compatible store (AWS S3,
Supabase Storage's S3 endpoint, MinIO); presign is a boto3 presigned ``PUT``, and the worker
reads the object through a presigned ``GET``. Credentials come from ``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY`` (boto3's usual chain).

An ``assetUrl`` handed out here is recognised by :meth:`Storage.key_for_asset_url`, which is
how the SSRF guard lets our own storage through even when it is on this host.

Every backend also tells a stored file's exact size (:meth:`Storage.size`) and opens it as a
seekable stream (:meth:`Storage.open`; on S3 each read is a ranged ``GetObject``), which is how
podcast episodes read their media's length and duration. Nothing here serves files publicly:
the local media root has no URL route, and an S3 object is reachable only through a presigned
URL.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import BinaryIO, ClassVar
from urllib.parse import parse_qs, quote, unquote, urlsplit

from django.conf import settings
from django.core import signing
from django.utils import timezone

_SIGNING_SALT = "uploads.storage.put"


@dataclass(frozen=True)
class PresignedPut:
    upload_url: str
    method: str
    headers: dict[str, str]
    asset_url: str
    expires_at: datetime


@dataclass(frozen=True)
class SignedPut:
    """What a local upload token allows: one file of this size and type at this key."""

    key: str
    size_bytes: int
    content_type: str


class InvalidUploadToken(Exception):
    """The token is forged, malformed or expired."""


class Storage:
    confirms_uploads: ClassVar[bool] = False
    """Whether Gateway sees each presigned PUT arrive (and so knows an unused presign)."""

    def presign_put(self, *, key: str, content_type: str, size_bytes: int) -> PresignedPut:
        raise NotImplementedError

    def asset_url(self, key: str) -> str:
        raise NotImplementedError

    def size(self, key: str) -> int:
        """The exact size in bytes of the stored file; ``FileNotFoundError`` when absent."""
        raise NotImplementedError

    def open(self, key: str) -> BinaryIO:
        """A seekable read-only stream of the stored file; ``FileNotFoundError`` when absent."""
        raise NotImplementedError

    def key_for_asset_url(self, url: str) -> str | None:
        """The key of ``url`` when it is one of ours, else ``None``."""
        prefix = self.asset_url("")
        if not url.startswith(prefix):
            return None
        key = unquote(url[len(prefix) :])
        if not key or ".." in key.split("/") or key.startswith("/"):
            return None
        return key


class LocalStorage(Storage):
    confirms_uploads = True  # the signed PUT is our own endpoint

    def __init__(self, root: Path) -> None:
        self.root = root

    def asset_url(self, key: str) -> str:
        return f"{settings.PUBLIC_BASE_URL}/media/{quote(key)}"

    def path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("key escapes the media root")
        return path

    def presign_put(self, *, key: str, content_type: str, size_bytes: int) -> PresignedPut:
        token = signing.TimestampSigner(salt=_SIGNING_SALT).sign_object(
            {"k": key, "s": size_bytes, "t": content_type}, compress=True
        )
        return PresignedPut(
            upload_url=f"{settings.PUBLIC_BASE_URL}/api/v1/upload/blob/{token}",
            method="PUT",
            headers={"Content-Type": content_type},
            asset_url=self.asset_url(key),
            expires_at=timezone.now() + settings.PRESIGN_TTL,
        )

    @staticmethod
    def read_token(token: str) -> SignedPut:
        try:
            payload = signing.TimestampSigner(salt=_SIGNING_SALT).unsign_object(
                token, max_age=settings.PRESIGN_TTL
            )
        except signing.BadSignature as exc:  # SignatureExpired is a BadSignature
            raise InvalidUploadToken(str(exc)) from exc
        return SignedPut(key=payload["k"], size_bytes=payload["s"], content_type=payload["t"])

    def write(self, key: str, chunks: Iterator[bytes]) -> int:
        """Write ``chunks`` to ``key`` atomically (temp file then rename); return the size."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as tmp:
                for chunk in chunks:
                    tmp.write(chunk)
                    size += len(chunk)
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return size

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def size(self, key: str) -> int:
        return self.path(key).stat().st_size


class S3Storage(Storage):
    def __init__(self, storage_url: str) -> None:
        parts = urlsplit(storage_url)
        options = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        self.bucket = parts.netloc
        self.endpoint_url = options.get("endpoint_url", "").rstrip("/")
        self.region = options.get("region", "us-east-1")

    @property
    def client(self):  # boto3 clients are thread-safe; built once per process
        return _s3_client(self.endpoint_url, self.region)

    def asset_url(self, key: str) -> str:
        if self.endpoint_url:
            return f"{self.endpoint_url}/{self.bucket}/{quote(key)}"
        return f"https://{self.bucket}.s3.{self.region}.amazonaws.com/{quote(key)}"

    def presign_put(self, *, key: str, content_type: str, size_bytes: int) -> PresignedPut:
        ttl = int(settings.PRESIGN_TTL.total_seconds())
        url = self.client.generate_presigned_url(
            "put_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ContentType": content_type,
                "ContentLength": size_bytes,
            },
            ExpiresIn=ttl,
        )
        return PresignedPut(
            upload_url=url,
            method="PUT",
            headers={"Content-Type": content_type},
            asset_url=self.asset_url(key),
            expires_at=timezone.now() + settings.PRESIGN_TTL,
        )

    def presigned_get(self, key: str, *, expires_in: int = 3600) -> str:
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_in
        )

    def size(self, key: str) -> int:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                raise FileNotFoundError(key) from exc
            raise
        return int(head["ContentLength"])

    def open(self, key: str) -> BinaryIO:
        raw = _S3ObjectReader(self, key, self.size(key))
        return io.BufferedReader(raw, buffer_size=256 * 1024)  # type: ignore[return-value]


class SeekableRawReader(io.RawIOBase):
    """A raw reader of ``size`` bytes that reads from ``_pos`` wherever it was moved to; a
    subclass implements ``readinto`` (from ``_pos``, advancing it)."""

    size: int
    _pos: int = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos


class _S3ObjectReader(SeekableRawReader):
    """A seekable view of one S3 object: each read is one ranged ``GetObject``."""

    def __init__(self, storage: S3Storage, key: str, size: int) -> None:
        super().__init__()
        self._storage = storage
        self._key = key
        self.size = size
        self._pos = 0

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self._pos >= self.size or not len(buffer):
            return 0
        end = min(self._pos + len(buffer), self.size) - 1
        body = self._storage.client.get_object(
            Bucket=self._storage.bucket, Key=self._key, Range=f"bytes={self._pos}-{end}"
        )["Body"]
        data = body.read()
        body.close()
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)


@cache
def _s3_client(endpoint_url: str, region: str):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url or None,
        region_name=region,
        config=Config(signature_version="s3v4", connect_timeout=10, read_timeout=60),
    )


def get_storage() -> Storage:
    if settings.STORAGE_URL.startswith("s3://"):
        return S3Storage(settings.STORAGE_URL)
    return LocalStorage(Path(settings.MEDIA_ROOT))
