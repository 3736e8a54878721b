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

One renewing thread per process serves every lease held in it (:class:`_Renewer`), started by
the first run: a thread started and joined around every run cost a short job more than its
own work on a busy machine (the start waits until the new thread is scheduled). It renews the
due leases one after the other; a process runs one job at a time (a Celery pool process, the
embedded runner), so one slow renewal delays no other job's.
"""

from __future__ import annotations

import io
import logging
import os
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

    def __init__(self, *, job_id: UUID, owner_id: UUID, lease_id: UUID) -> None:
        self.job_id = job_id
        self.owner_id = owner_id
        self.lease_id = lease_id
        self._lost = threading.Event()
        # Our own clock's view of the lease, one heartbeat short of the database's.
        self._valid_until = time.monotonic() + lease_duration().total_seconds()
        self._confirmed_at = time.monotonic()

    def running(self) -> QuerySet[Job]:
        """The job's row while this lease still holds it (for conditional updates)."""
        return Job.objects.of_owner(self.owner_id).filter(
            pk=self.job_id, status=JobStatus.RUNNING, lease_id=self.lease_id
        )

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

    @property
    def lost(self) -> bool:
        return self._lost.is_set()

    @contextmanager
    def heartbeat(self) -> Iterator[JobLease]:
        """Have this process's renewing thread renew the lease for as long as the block runs."""
        _renewer.hold(self)
        try:
            yield self
        finally:
            _renewer.release(self)


class _Renewer:
    """The thread that renews the leases held in this process (see the module docstring)."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._due: dict[JobLease, float] = {}  # lease -> monotonic time of its next renewal
        self._pid = 0  # the process whose thread runs; another one after a fork

    def hold(self, lease: JobLease) -> None:
        with self._changed:
            if self._pid != os.getpid():
                self._due.clear()
                threading.Thread(target=self._run, name="job-leases", daemon=True).start()
                self._pid = os.getpid()
            self._due[lease] = time.monotonic() + heartbeat_interval()
            self._changed.notify()

    def release(self, lease: JobLease) -> None:
        with self._changed:
            self._due.pop(lease, None)

    def _run(self) -> None:
        while True:
            due = self._wait_for_due()
            for lease in due:
                try:
                    lease.renew()
                except Exception:  # the thread serves every later run too: it must not end
                    logger.exception("job %s: lease renewal failed", lease.job_id)
            connection.close()  # this thread's own connection, back to the pool
            with self._changed:
                for lease in due:
                    if lease in self._due:
                        if lease.lost:
                            del self._due[lease]  # its worker stops before its next write
                        else:
                            self._due[lease] = time.monotonic() + heartbeat_interval()

    def _wait_for_due(self) -> list[JobLease]:
        with self._changed:
            while True:
                now = time.monotonic()
                if due := [lease for lease, at in self._due.items() if at <= now]:
                    return due
                nearest = min(self._due.values(), default=None)
                self._changed.wait(None if nearest is None else nearest - now)


_renewer = _Renewer()


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
