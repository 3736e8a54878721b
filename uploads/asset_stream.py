"""Reading a job's asset (its ``assetUrl``) as a seekable stream, whatever its size, with
memory kept flat.

Remote assets are read with HTTP range requests over a connection pinned to the address the
SSRF guard checked (the TLS certificate is still verified against the host name); redirects are
followed by hand and every hop is checked again. Assets in our own storage are opened from it.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from core.pinned_http import host_header, pinned_connection
from core.ssrf import FetchTarget, UnsafeAssetUrl, resolve_target
from core.storage import LocalStorage, S3Storage, SeekableRawReader, get_storage
from providers.errors import PermanentProviderError, TransientProviderError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MAX_REDIRECTS = 5
SKIP_BLOCK = 1024 * 1024  # what is read at a time to skip ahead on a host without ranges
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class RemoteAsset(SeekableRawReader):
    """A seekable read-only view of a remote file. A read at another offset than where the
    open response stands reopens it with ``Range: bytes=N-``; nothing is buffered: ``readinto``
    reads from the socket straight into the caller's buffer."""

    def __init__(self, url: str, *, trusted: bool = False) -> None:
        super().__init__()
        self._url = url
        self._trusted = trusted  # our own object store: configured by the operator
        self._pos = 0
        self._connection: http.client.HTTPConnection | None = None
        self._response: http.client.HTTPResponse | None = None
        self._response_pos = 0
        self._ranges = True
        self.size = self._open(0)

    # -- SeekableRawReader (read() comes from readinto()) ---------------------------------
    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")[: max(0, self.size - self._pos)]
        if not view:
            return 0
        if self._response is None or self._response_pos != self._pos:
            self._open(self._pos)
        response = self._response
        if response is None:  # _open either sets it or raises
            raise TransientProviderError("The asset stream is closed.")
        try:
            count = response.readinto(view)
        except (OSError, http.client.HTTPException) as exc:
            self._drop()
            raise TransientProviderError(
                f"Reading the asset failed ({type(exc).__name__})."
            ) from exc
        if not count:
            self._drop()
            raise TransientProviderError("The asset ended before its announced length.")
        self._pos += count
        self._response_pos = self._pos
        return count

    def close(self) -> None:
        self._drop()
        super().close()

    # -- HTTP -----------------------------------------------------------------------------
    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()  # closes the response with it
            self._connection = None
        self._response = None

    def _target(self, url: str) -> FetchTarget:
        try:
            return resolve_target(url) if not self._trusted else _trusted_target(url)
        except UnsafeAssetUrl as exc:
            raise PermanentProviderError(str(exc), code="invalid_asset_url") from exc

    def _get(self, start: int) -> http.client.HTTPResponse:
        """The response at ``start``, its connection kept in ``_connection``."""
        url = self._url
        for _hop in range(MAX_REDIRECTS + 1):
            target = self._target(url)
            headers = {"Host": host_header(target), "Accept-Encoding": "identity"}
            if start or self._ranges:
                headers["Range"] = f"bytes={start}-"
            self._connection = pinned_connection(target, timeout=settings.ASSET_FETCH_TIMEOUT)
            try:
                self._connection.request("GET", target.path, headers=headers)
                response = self._connection.getresponse()
            except (OSError, http.client.HTTPException) as exc:
                self._drop()
                raise TransientProviderError(
                    f"The asset host did not answer ({type(exc).__name__})."
                ) from exc
            if response.status not in _REDIRECTS:
                return response
            location = response.getheader("Location", "")
            self._drop()
            if not location:
                raise PermanentProviderError("The asset redirect has no Location.")
            url = urljoin(url, location)
        raise PermanentProviderError("The asset URL redirects too often.", code="invalid_asset_url")

    def _open(self, start: int) -> int:
        """Open the asset at ``start``; return its total size."""
        self._drop()
        response = self._get(start)
        if response.status == 206:
            total = _int_or_zero(response.getheader("Content-Range", "").rpartition("/")[2])
            skip = 0
        elif response.status == 200:
            total = _int_or_zero(response.getheader("Content-Length", ""))
            self._ranges = False
            skip = start  # the host ignores ranges: read up to the offset and throw it away
        elif response.status == 429 or response.status >= 500:
            self._drop()
            raise TransientProviderError(f"The asset host answered {response.status}.")
        else:
            self._drop()
            raise PermanentProviderError(
                f"The asset could not be fetched (HTTP {response.status}).",
                code="asset_unavailable",
            )
        self._response = response
        if total <= 0:
            raise PermanentProviderError(
                "The asset is empty or its host does not tell its length.", code="asset_empty"
            )
        scratch = bytearray(min(skip, SKIP_BLOCK))
        while skip:
            try:
                count = response.readinto(memoryview(scratch)[: min(skip, SKIP_BLOCK)])
            except (OSError, http.client.HTTPException) as exc:
                raise TransientProviderError(
                    f"Reading the asset failed ({type(exc).__name__})."
                ) from exc
            if not count:
                raise TransientProviderError("The asset ended before the requested offset.")
            skip -= count
        self._response_pos = start
        return total


def _int_or_zero(value: str) -> int:
    return int(value) if value.isdigit() else 0


def _trusted_target(url: str) -> FetchTarget:
    """Our own object store (``STORAGE_URL``, set by the operator): connect by name, unchecked."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    host = parts.hostname or ""
    return FetchTarget(scheme=scheme, host=host, port=port, address=host, path=path)


@contextmanager
def asset_stream_open(url: str) -> Iterator[BinaryIO]:
    """Open ``url`` for streaming: our own storage directly, anything else through the guard."""
    storage = get_storage()
    key = storage.key_for_asset_url(url)
    if isinstance(storage, LocalStorage) and key is not None:
        try:
            stream: BinaryIO = storage.open(key)
        except FileNotFoundError as exc:
            raise PermanentProviderError(
                "The uploaded file is missing.", code="asset_unavailable"
            ) from exc
    elif isinstance(storage, S3Storage) and key is not None:
        stream = RemoteAsset(storage.presigned_get(key), trusted=True)  # type: ignore[assignment]
    else:
        stream = RemoteAsset(url)  # type: ignore[assignment]
    try:
        yield stream
    finally:
        stream.close()
