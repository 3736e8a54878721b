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

from django.conf import settings

from core.background import BackgroundLoop
from core.processes import is_server_process  # noqa: F401 - re-exported for uploads.apps
from uploads.services.pipeline import run_job
from uploads.services.recovery import jobs_recover_and_collect_due


class EmbeddedRunner(BackgroundLoop):
    thread_name = "uploads-embedded-runner"

    def enabled(self) -> bool:
        return settings.UPLOAD_EMBEDDED_RUNNER

    def interval(self) -> float:
        return settings.UPLOAD_DISPATCH_INTERVAL.total_seconds()

    def run_pass(self) -> int:
        return self.run_due_jobs()

    def run_due_jobs(self) -> int:
        """One pass: run every job that is due now. Returns how many were looked at."""
        ids = jobs_recover_and_collect_due(every_due=True)
        for job_id in ids:
            run_job(job_id=job_id)
        return len(ids)


embedded_runner = EmbeddedRunner()
