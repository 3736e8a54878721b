"""Embedded mode (no ``REDIS_URL``): due jobs run in a background thread of the web process.

Decision: one daemon thread per server process, started from ``UploadsConfig.ready()`` only
when the process is a server (daphne, gunicorn, uvicorn, or runserver's reloaded child), never
in management commands or tests; ``wake()`` starts it too if it is not alive (e.g. after a
fork). It runs the same services as the Celery worker and beat: every
``UPLOAD_DISPATCH_INTERVAL``, or at once when a job is accepted, it recovers stale jobs and runs
each due job with :func:`uploads.services.pipeline.run_job`, one at a time. Several server processes
each running a thread is safe: the conditional claim lets one of them take a given job.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

from django.conf import settings
from django.db import close_old_connections, connections

from uploads.services.pipeline import run_job
from uploads.services.recovery import jobs_recover_and_collect_due

logger = logging.getLogger(__name__)

_SERVERS = ("daphne", "gunicorn", "uvicorn")


def is_server_process(argv: list[str] | None = None) -> bool:
    argv = argv if argv is not None else sys.argv
    if not argv:
        return False
    program = os.path.basename(argv[0])
    if any(name in argv[0] for name in _SERVERS) or program in _SERVERS:
        return True
    return argv[1:2] == ["runserver"] and os.environ.get("RUN_MAIN") == "true"


class EmbeddedRunner:
    def __init__(self) -> None:
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._loop, name="uploads-embedded-runner", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Let the current pass finish, then end the thread (tests; the server just exits)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        if settings.UPLOAD_EMBEDDED_RUNNER and is_server_process():
            self.start()
        self._wake.set()

    def run_due_jobs(self) -> int:
        """One pass: run every job that is due now. Returns how many were looked at."""
        ids = jobs_recover_and_collect_due(every_due=True)
        for job_id in ids:
            run_job(job_id=job_id)
        return len(ids)

    def _loop(self) -> None:
        interval = settings.UPLOAD_DISPATCH_INTERVAL.total_seconds()
        while not self._stop.is_set():
            self._wake.wait(timeout=interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                while self.run_due_jobs() and not self._stop.is_set():
                    pass
            except Exception:
                logger.exception("embedded upload runner: pass failed")
            finally:
                close_old_connections()
        connections.close_all()  # this thread's connections; it is ending


embedded_runner = EmbeddedRunner()
