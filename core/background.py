"""Embedded mode (no ``REDIS_URL``): background work in a daemon thread of the server process.

A :class:`BackgroundLoop` runs passes of work every :meth:`~BackgroundLoop.interval` seconds,
or at once when woken, until a pass finds nothing to do. It is started only in server
processes (``wake()`` never starts it in a management command or a test), and several server
processes each running one is safe as long as the work is claimed with conditional UPDATEs.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connections

from core.processes import is_server_process

logger = logging.getLogger(__name__)


class BackgroundLoop:
    thread_name = "background-loop"

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def enabled(self) -> bool:
        """Whether ``wake()`` may start the thread (a setting can turn it off)."""
        return True

    def interval(self) -> float:
        """Seconds between passes when nobody wakes the thread."""
        raise NotImplementedError

    def run_pass(self) -> int:
        """Do the work that is due; return how much was looked at (0 ends the round)."""
        raise NotImplementedError

    def start(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Let the current pass finish, then end the thread (tests; the server just exits)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        if self.enabled() and is_server_process():
            self.start()
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=self.interval())
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                while self.run_pass() and not self._stop.is_set():
                    pass
            except Exception:
                logger.exception("%s: pass failed", self.thread_name)
            finally:
                close_old_connections()
        connections.close_all()  # this thread's connections; it is ending
