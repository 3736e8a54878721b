"""Job events for the realtime feed (``/ws/jobs``).

Every change of a job's state or progress calls :func:`publish_job_event`. The event is built
from the job as it is at that moment and sent to the owner's channel-layer group once the
surrounding transaction commits, so a socket never hears of a change that was rolled back.

Delivery works from any thread of any process:

- With Redis (``channels_redis``) the group lives in Redis, so a Celery worker reaches the
  sockets of every web process.
- Embedded mode uses ``InMemoryChannelLayer``, which only works inside the event loop that
  serves the sockets: a ``group_send`` from another loop or thread does not wake them. So the
  consumer records that loop (:func:`remember_socket_loop`) and publishers in other threads
  (the in-process task runner, sync views) hand the send to it.
- A process without sockets (a Celery worker) sends from one long-lived background loop, so the
  Redis connection pool is reused instead of opened per event.

Events of one job keep the order of its changes: a publisher in a thread waits for each send
before going on, and sends started from code on the delivering loop itself are chained.

Delivery is best effort: a Redis outage is logged and never fails the job. A client that was
away catches up with ``GET /api/v1/jobs?updatedSince=``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import weakref
from collections.abc import Coroutine
from typing import Any
from uuid import UUID

from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.db import transaction
from djangorestframework_camel_case.util import camelize
from redis.exceptions import RedisError
from rest_framework import serializers

from uploads.models import Job, JobStatus
from webhooks.services import deliveries_enqueue

logger = logging.getLogger(__name__)

JOB_EVENT = "job.event"
"""Channel-layer message type; the consumer's ``job_event`` handler forwards it to the socket."""

DELIVERY_TIMEOUT = 5.0
"""Seconds a publisher waits for the channel layer before giving up on one event."""

_DATETIME = serializers.DateTimeField()

_socket_loop: asyncio.AbstractEventLoop | None = None
_publisher: tuple[int, asyncio.AbstractEventLoop] | None = None
_publisher_lock = threading.Lock()
_background_sends: set[asyncio.Task] = set()
# The last send started from code running on each delivering loop (see ``_deliver``).
_loop_tail: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task] = (
    weakref.WeakKeyDictionary()
)
_DELIVERY_ERRORS = (RedisError, OSError, ChannelFull, TimeoutError)


def job_group(user_id: Any) -> str:
    """The channel-layer group of one user's sockets."""
    return f"jobs.{user_id}"


def build_job_event(job: Job) -> dict[str, Any]:
    """The docs/api.md event for ``job``'s current state.

    Which changes are announced is the callers' choice: a job is announced when it starts, as
    its progress moves, when it is queued again (a retry back-off, a recovered or handed-back
    job, a user's retry) and when it ends; not when it is accepted (the client that posted it
    has the answer).
    """
    base = {"jobId": str(job.id), "status": job.status}
    if job.status == JobStatus.SUCCEEDED:
        return {"type": "job:done", **base, "progress": 100, "result": _wire(job.result)}
    if job.status == JobStatus.FAILED:
        return {"type": "job:failed", **base, "error": _wire(job.error)}
    if job.status == JobStatus.CANCELED:
        return {"type": "job:canceled", **base}
    return {
        "type": "job:update",
        **base,
        "progress": min(job.progress, 99),
        "waitingFor": waiting_for_wire(job.waiting_for),
    }


def waiting_for_wire(waiting_for: dict[str, Any] | None) -> dict[str, Any] | None:
    """``waitingFor`` as the API renders it: ``{reason, until}`` with an ISO 8601 UTC time."""
    if waiting_for is None:
        return None
    return {
        "reason": waiting_for["reason"],
        "until": _DATETIME.to_representation(waiting_for["until"]),
    }


def publish_job_event(job: Job) -> None:
    """Tell the owner's sockets about ``job``'s current state once the transaction commits.

    Call it after every change of status or progress, inside or outside a transaction.
    """
    event = build_job_event(job)
    group = job_group(job.user_id)
    user_id = job.user_id
    # robust: a failure to notify must never turn a committed job change into an error.
    transaction.on_commit(lambda: _deliver(group, event), robust=True)
    transaction.on_commit(lambda: deliveries_enqueue(user_id=user_id, event=event), robust=True)


def publish_job_event_on_commit(job_id: UUID) -> None:
    """Publish the event of job ``job_id`` as it is once the current transaction commits."""

    def publish() -> None:
        job = Job.objects.filter(pk=job_id).first()
        if job is not None:
            publish_job_event(job)

    # robust: a realtime hiccup is logged by Django and never fails the change itself.
    transaction.on_commit(publish, robust=True)


def remember_socket_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Record the event loop serving this process's sockets (called by the consumer)."""
    global _socket_loop
    _socket_loop = loop


def _deliver(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _delivery_loop()
    send = layer.group_send(group, {"type": JOB_EVENT, "event": event})
    try:
        current = asyncio.get_running_loop()
    except RuntimeError:
        current = None
    if current is loop:
        # Called from async code on the delivering loop itself: it must not block, and the
        # send waits for the one before it, so events keep their order.
        previous = _loop_tail.get(loop)
        task = loop.create_task(_send_after(previous, send, event))
        _loop_tail[loop] = task
        _background_sends.add(task)
        task.add_done_callback(_background_sends.discard)
        return
    # Waiting keeps a publisher's events in order and surfaces failures here.
    future = asyncio.run_coroutine_threadsafe(send, loop)
    try:
        future.result(timeout=DELIVERY_TIMEOUT)
    except _DELIVERY_ERRORS as exc:
        future.cancel()
        _log_undelivered(event, exc)


async def _send_after(
    previous: asyncio.Task | None, send: Coroutine[Any, Any, None], event: dict[str, Any]
) -> None:
    if previous is not None:
        await asyncio.wait([previous])  # its outcome is its own to report
    try:
        await asyncio.wait_for(send, DELIVERY_TIMEOUT)
    except _DELIVERY_ERRORS as exc:
        _log_undelivered(event, exc)


def _log_undelivered(event: dict[str, Any], exc: BaseException) -> None:
    logger.warning(
        "job event not delivered",
        extra={"event": event["type"], "jobId": event["jobId"], "reason": repr(exc)},
    )


def _delivery_loop() -> asyncio.AbstractEventLoop:
    """The loop serving this process's sockets if there is one, else the publisher loop."""
    loop = _socket_loop
    if loop is not None and loop.is_running():
        return loop
    return _publisher_loop()


def _publisher_loop() -> asyncio.AbstractEventLoop:
    """A background event loop of this process, started on first use (again after a fork)."""
    global _publisher
    with _publisher_lock:
        if _publisher is None or _publisher[0] != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="job-events", daemon=True).start()
            _publisher = (os.getpid(), loop)
        return _publisher[1]


def _wire(value: Any) -> Any:
    """``result`` / ``error`` with camelCase keys, as the REST API renders them."""
    return None if value is None else camelize(value)
