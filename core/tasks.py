"""Handing work to the background from a request, without the request waiting for it or
failing because of it.

- With Redis, :func:`enqueue` sends the task to Celery. A broker outage is logged (one line,
  no stack trace) and the request answers as usual.
- In embedded mode (no ``REDIS_URL``) Celery has no worker, and running the task eagerly would
  make the request wait for it: forgot-password would take longer for an existing account than
  for an unknown one, and refresh-all would call every platform before answering. So the task
  goes to :data:`background`, a bounded queue served by one daemon thread of this process.

The request that asked for background work (forgot-password, refresh-all) answers the same in
both modes: its answer must not reveal or depend on what the background work meets.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
from typing import Any

from celery import Task
from django.conf import settings
from django.db import close_old_connections, connections
from kombu.exceptions import OperationalError as BrokerUnavailable

logger = logging.getLogger(__name__)

_Item = tuple[Task, tuple[Any, ...]]


class BackgroundTasks:
    """Celery tasks run one at a time by a daemon thread of this process (embedded mode).

    At most ``capacity`` tasks wait; beyond that :meth:`submit` refuses (and logs), so a burst
    cannot grow memory without bound. The thread starts on first use (again after a fork);
    :meth:`close` lets queued tasks finish and ends it (process exit, tests).
    """

    def __init__(self, *, capacity: int = 1000) -> None:
        self._capacity = capacity
        self._lock = threading.Lock()
        self._queue: queue.Queue[_Item | None] = queue.Queue(maxsize=capacity)
        self._thread: threading.Thread | None = None
        self._pid = 0

    def submit(self, task: Task, args: tuple[Any, ...]) -> bool:
        """Queue ``task(*args)``; False when the queue is full."""
        self._ensure_thread()
        try:
            self._queue.put_nowait((task, args))
        except queue.Full:
            logger.warning("background queue full: task %s dropped", task.name)
            return False
        return True

    def join(self) -> None:
        """Wait until every queued task has run."""
        self._queue.join()

    def close(self, timeout: float = 10) -> None:
        """Run what is queued, then stop the thread (a later :meth:`submit` starts a new one)."""
        with self._lock:
            thread = self._thread
            if thread is None or not thread.is_alive() or self._pid != os.getpid():
                return
            self._queue.put(None)
            thread.join(timeout)
            self._thread = None

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
                return
            if self._pid != os.getpid():  # forked: the parent's queue and thread are not ours
                self._queue = queue.Queue(maxsize=self._capacity)
            self._pid = os.getpid()
            self._thread = threading.Thread(
                target=self._serve, name="core-background-tasks", daemon=True
            )
            self._thread.start()

    def _serve(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    break
                task, args = item
                try:
                    task.apply(args=args, throw=True)
                except Exception:
                    # The request that queued it has long answered; the log is the only witness.
                    logger.exception("background task %s failed", task.name)
                finally:
                    close_old_connections()
            finally:
                self._queue.task_done()
        connections.close_all()  # this thread's connections; it is ending


background = BackgroundTasks()
atexit.register(background.close)


def enqueue(task: Task, *args: Any) -> bool:
    """Hand ``task(*args)`` to the background; never raises. Returns whether it was handed over."""
    if not settings.REDIS_URL:
        return background.submit(task, args)
    return celery_send(task, args)


def celery_send(task: Task, args: tuple[Any, ...]) -> bool:
    """``task.delay(*args)``; a failure is logged, never raised."""
    try:
        task.delay(*args)
    except BrokerUnavailable as exc:
        logger.warning("task %s not queued: broker unavailable (%s)", task.name, exc)
        return False
    except Exception:
        # Tests run tasks eagerly even with Redis configured; their errors surface here.
        logger.exception("task %s was not run or queued", task.name)
        return False
    return True
