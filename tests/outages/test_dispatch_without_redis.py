"""A job the queue refused (Redis down) is sent by the dispatcher's next pass, not after
UPLOAD_STALE_AFTER like a lost message."""

from __future__ import annotations

import pytest
from kombu.exceptions import OperationalError as KombuOperationalError

from tests.factories import JobFactory
from uploads.services.dispatch import job_dispatch
from uploads.services.recovery import jobs_recover_and_collect_due
from uploads.tasks import run_job_task

pytestmark = pytest.mark.django_db


def _queue_down(*args, **kwargs):
    raise KombuOperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_a_job_the_queue_refused_is_due_on_the_next_dispatch_pass(settings, monkeypatch):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    job = JobFactory()
    assert job.pk not in jobs_recover_and_collect_due()  # just accepted: not a lost message

    monkeypatch.setattr(run_job_task, "apply_async", _queue_down)
    job_dispatch(job=job)

    assert jobs_recover_and_collect_due() == [job.pk]
    assert job.pk not in jobs_recover_and_collect_due()  # handed out once per pass
