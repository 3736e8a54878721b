"""A small per-process memory of values that expire, shared by threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ExpiringMemo(Generic[K, V]):
    """Values kept until a moment on ``clock``; at most ``max_entries`` of them (all are
    forgotten at once when full: entries live seconds or minutes, a miss only costs a
    recomputation)."""

    def __init__(self, *, max_entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._entries: dict[K, tuple[float, V]] = {}
        self._max_entries = max_entries
        self._clock = clock

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None or self._clock() >= entry[0]:
            return None
        return entry[1]

    def keep(self, key: K, value: V, *, until: float) -> None:
        with self._lock:
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            self._entries[key] = (until, value)

    def drop(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)
