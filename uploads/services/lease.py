"""The lease a worker holds on the job it runs, renewed by a heartbeat thread.

Why a thread: progress is only reported between chunks, and a slow asset host can stall one
chunk for longer than ``UPLOAD_STALE_AFTER``. Stale recovery looks at the lease alone
(``lease_expires_at``), which the heartbeat renews while the worker is busy, whatever it is
waiting on. A worker that loses its lease (recovery took the job back, or the database did not
confirm a renewal before the lease ran out by the worker's own clock) stops before its next
write: the lease is checked before and after every read of the asset (a read precedes every
write to the platform), asking the database after a read that took a while, and before every
progress or session save.

The ``lease_id`` a claim sets fences every write of that run: a conditional ``UPDATE`` on it
changes nothing once the job was taken back and claimed again.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import BinaryIO
from uuid import UUID

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.db.models import QuerySet
from django.utils import timezone

from uploads.models import Job, JobStatus

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
"""Database failures that are transient for a job: deadlock, lost connection, timeout."""


CONFIRM_EVERY = 1.0
"""Seconds a database confirmation of the lease is trusted before a write."""


class JobLost(Exception):
    """The job was taken from this worker (stale recovery, cancel); stop without writing."""


def lease_duration() -> timedelta:
    """How long a claim holds without a renewal: ``UPLOAD_STALE_AFTER``."""
    return settings.UPLOAD_STALE_AFTER


def heartbeat_interval() -> float:
    """Seconds between renewals: four per lease, at least every 30 s."""
    return min(lease_duration().total_seconds() / 4, 30.0)


def lease_expiry() -> datetime:
    """When a lease taken or renewed now runs out."""
    return timezone.now() + lease_duration()


class JobLease:
    """The running worker's side of a job's lease (see the module docstring)."""

    def __init__(self, *, job_id: UUID, lease_id: UUID) -> None:
        self.job_id = job_id
        self.lease_id = lease_id
        self._lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Our own clock's view of the lease, one heartbeat short of the database's.
        self._valid_until = time.monotonic() + lease_duration().total_seconds()
        self._confirmed_at = time.monotonic()

    def running(self) -> QuerySet[Job]:
        """The job's row while this lease still holds it (for conditional updates)."""
        return Job.objects.filter(pk=self.job_id, status=JobStatus.RUNNING, lease_id=self.lease_id)

    def check(self) -> None:
        """Raise :class:`JobLost` unless this worker still holds the job."""
        if self._lost.is_set():
            raise JobLost(f"job {self.job_id}: the lease was taken back")
        if time.monotonic() > self._valid_until - heartbeat_interval():
            raise JobLost(f"job {self.job_id}: the lease could not be renewed in time")

    def confirm(self) -> None:
        """:meth:`check`, and ask the database too unless it answered in the last second
        (before a write that follows a long wait, the heartbeat may not have seen a loss yet).
        Without a database answer, the lease held by our own clock is trusted."""
        self.check()
        if time.monotonic() - self._confirmed_at < CONFIRM_EVERY:
            return
        try:
            held = self.running().exists()
        except DATABASE_ERRORS:
            connection.close()
            return
        if not held:
            self._lost.set()
            self.check()
        self._confirmed_at = time.monotonic()

    def renew(self) -> None:
        """Extend the lease in the database; a miss means the job is no longer ours."""
        asked_at = time.monotonic()
        try:
            renewed = self.running().update(lease_expires_at=lease_expiry())
        except DATABASE_ERRORS as exc:
            # Keep uploading on the lease we have; the next beat tries again.
            logger.warning("job %s: lease not renewed (%s)", self.job_id, type(exc).__name__)
            connection.close()
            return
        if not renewed:
            self._lost.set()
            return
        self._valid_until = asked_at + lease_duration().total_seconds()

    @contextmanager
    def heartbeat(self) -> Iterator[JobLease]:
        """Renew the lease in a background thread for as long as the block runs."""
        self._thread = threading.Thread(
            target=self._beat, name=f"job-lease-{self.job_id}", daemon=True
        )
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(timeout=heartbeat_interval() + 5)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(heartbeat_interval()):
                self.renew()
                if self._lost.is_set():
                    return
        finally:
            connection.close()  # this thread's own connection


class LeasedStream(io.RawIOBase):
    """The asset stream as a platform sees it: every read first checks the lease, so a worker
    that lost its job sends no further byte."""

    def __init__(self, stream: BinaryIO, lease: JobLease) -> None:
        super().__init__()
        self._stream = stream
        self._lease = lease

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        """Into the caller's buffer, no copy (``read`` is ``io.RawIOBase``'s, over this)."""
        self._lease.check()
        count = self._stream.readinto(buffer)  # type: ignore[attr-defined]  # io objects all
        # Again after a read that may have waited long: the platform write follows it.
        self._lease.confirm()
        return count
