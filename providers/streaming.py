"""Sending a publish request's stream to a platform at the speed of the network, in flat memory.

- :class:`StreamedRange` is a range of the stream as an HTTP request body: a sized iterable of
  views of one reused ``BLOCK``-byte buffer, each filled by ``readinto`` straight from the
  asset's socket or file; the HTTP client (http.client under httplib2 and urllib3) sends each
  view before it asks for the next, so no byte is copied in Python. Handing those clients a
  file object instead makes them read it 8-16 KiB at a time, each read a pile of Python calls.
- :class:`ProgressReporter` turns bytes done into the percentages of ``on_progress``, at most
  one per ``UPLOAD_PROGRESS_INTERVAL`` seconds: each report is a database write and an event.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import BinaryIO

from django.conf import settings

from providers.base import ProgressCallback
from providers.errors import TransientProviderError

BLOCK = 1024 * 1024


def block_buffer() -> memoryview:
    """The one buffer a publish reads its stream into."""
    return memoryview(bytearray(BLOCK))


class StreamedRange:
    """``length`` bytes of ``stream`` from ``start``, as a request body of known length.

    Iterating again starts over at ``start``: a client that sends the request a second time
    (httplib2 does on a stale keep-alive connection) sends the same bytes again. ``on_sent``
    is told the stream offset reached each time the client took a block.
    """

    def __init__(
        self,
        stream: BinaryIO,
        start: int,
        length: int,
        buffer: memoryview,
        on_sent: Callable[[int], None] | None = None,
    ) -> None:
        self._stream = stream
        self._start = start
        self._length = length
        self._buffer = buffer
        self._on_sent = on_sent

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[memoryview]:
        self._stream.seek(self._start)
        remaining = self._length
        while remaining:
            block = self._buffer[: min(remaining, len(self._buffer))]
            filled = 0
            while filled < len(block):
                count = self._stream.readinto(block[filled:])  # type: ignore[attr-defined]
                if not count:
                    raise TransientProviderError("The asset ended before its announced length.")
                filled += count
            yield block
            remaining -= filled
            if self._on_sent is not None:
                self._on_sent(self._start + self._length - remaining)


class ProgressReporter:
    """Reports the percentage of ``total`` bytes done when it rose, at most once per
    ``UPLOAD_PROGRESS_INTERVAL`` seconds (the first report at once)."""

    def __init__(self, on_progress: ProgressCallback, total: int) -> None:
        self._on_progress = on_progress
        self._total = total
        self._interval = settings.UPLOAD_PROGRESS_INTERVAL
        self._percent = -1
        self._reported_at = -math.inf

    def done(self, count: int) -> None:
        """The first ``count`` bytes of ``total`` are done."""
        percent = count * 100 // self._total if self._total else 100
        now = time.monotonic()
        if percent > self._percent and now - self._reported_at >= self._interval:
            self._percent, self._reported_at = percent, now
            self._on_progress(percent)
