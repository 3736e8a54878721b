"""A running job's lease: a stall inside one chunk keeps the job with its worker, and a worker
whose job was taken back sends nothing more."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection

from tests.factories import JobFactory
from tests.providers.youtube import CHUNK
from tests.realtime.conftest import instant_provider  # noqa: F401 - a fixture
from uploads.models import Job, JobStatus
from uploads.services.pipeline import RunOutcome, run_job
from uploads.services.recovery import jobs_recover_and_collect_due

pytestmark = pytest.mark.django_db(transaction=True)


def _run_in_thread(job: Job) -> tuple[threading.Thread, list[RunOutcome]]:
    """A worker: ``run_job`` in a thread of its own, with its own connection."""
    outcomes: list[RunOutcome] = []

    def work() -> None:
        try:
            outcomes.append(run_job(job_id=job.pk))
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    return thread, outcomes


def _stalled_worker(channel, asset, settings, *, stall_for: float):
    """A worker running a job under a 1 s lease, whose asset host has begun a ``stall_for``
    seconds pause inside the third chunk."""
    settings.UPLOAD_STALE_AFTER = timedelta(seconds=1)
    asset.server.stall_at = 2 * CHUNK + 1000
    asset.server.stall_for = stall_for
    job = JobFactory(channel=channel, asset_url=asset.url)
    worker, outcomes = _run_in_thread(job)
    assert asset.server.stalled.wait(timeout=20)
    return job, worker, outcomes


def test_an_asset_host_stalling_one_chunk_past_the_stale_threshold_keeps_its_one_worker(
    channel, asset, fake_youtube, settings
):
    # Given a worker under a lease of 1 s whose asset host stalls 3 s inside the third chunk
    job, worker, outcomes = _stalled_worker(channel, asset, settings, stall_for=3.0)

    # When, well past the stale threshold inside the stall, the beat's sweep runs and a second
    # worker is handed the job
    time.sleep(1.6)
    recovered = jobs_recover_and_collect_due()
    second = run_job(job_id=job.pk)
    worker.join(timeout=30)

    # Then the job stayed with its worker, which finished it; YouTube got each range once
    assert recovered == []
    assert second.status == JobStatus.RUNNING  # not claimed: still running elsewhere
    job.refresh_from_db()
    assert outcomes == [RunOutcome(status=JobStatus.SUCCEEDED)]
    assert job.status == JobStatus.SUCCEEDED
    assert job.attempts == 1
    assert len(fake_youtube.initiations) == 1
    assert [put.start for put in fake_youtube.puts] == [i * CHUNK for i in range(5)]
    assert fake_youtube.session.sha256.hexdigest() == asset.sha256


def test_a_worker_whose_job_was_taken_back_sends_no_further_byte(
    channel, asset, fake_youtube, settings
):
    # Given a worker stalled by its asset host inside the third chunk
    job, worker, outcomes = _stalled_worker(channel, asset, settings, stall_for=2.0)
    deadline = time.monotonic() + 10
    while fake_youtube.stored_bytes() < 2 * CHUNK:  # what was read before the stall is sent
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.3)

    # When the job is taken back meanwhile (as stale recovery does) and the stall ends
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.QUEUED, lease_id=None, lease_expires_at=None
    )
    sent_before = list(fake_youtube.puts)
    worker.join(timeout=30)

    # Then that worker stopped without sending the chunk it was reading
    assert outcomes == [RunOutcome(status="lost")]
    assert fake_youtube.puts == sent_before
    assert fake_youtube.stored_bytes() == 2 * CHUNK

    # And the next worker resumes the session, so every byte reached YouTube once
    assert run_job(job_id=job.pk).status == JobStatus.SUCCEEDED
    assert [put.start for put in fake_youtube.puts] == [i * CHUNK for i in range(5)]
    assert fake_youtube.session.sha256.hexdigest() == asset.sha256


def test_every_run_of_a_process_is_renewed_by_one_thread(
    channel,
    instant_provider,  # noqa: F811 - the fixture imported above
):
    # When a worker process runs several jobs one after the other
    for _ in range(3):
        assert run_job(job_id=JobFactory(channel=channel).pk).status == JobStatus.SUCCEEDED

    # Then one thread renews their leases, started once, not one per run
    assert [thread.name for thread in threading.enumerate()].count("job-leases") == 1
