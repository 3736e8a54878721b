"""Job events for the realtime feed (``/ws/jobs``).

Every change of a job's state or progress calls :func:`publish_job_event` after the change is
committed. The realtime work wires it to the channel layer; until then it does nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from uploads.models import Job


def publish_job_event(job: Job) -> None:
    """Tell the job owner's sockets about ``job``'s current state (no-op for now)."""
