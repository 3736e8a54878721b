"""Streaming: a large asset (1 GiB) uploaded by the real worker to the fake YouTube and to the
fake SoundCloud; MB/s from the job's start to its end next to the I/O ceiling (a plain
streamed copy of the same bytes from the same asset host to a loopback sink that reads and
hashes them as the fakes do, ``bench.plain_copy``, run just before), and the peak resident
memory of the worker's pool processes during the upload (their peak is reset first).
"""

from __future__ import annotations

import json
import subprocess
import sys

from django.conf import settings

from bench.measure import Row, Target, memory_kib, peak_reset
from bench.setup import Context, jobs_wait, upload_post
from bench.stack import ROOT
from uploads.models import Job, JobStatus

SECTION = "streaming"
MB = 1_000_000
MEMORY_BOUND_MB = 150
PLATFORMS = [
    ("youtube", "fake YouTube", "episode.mp4"),
    ("soundcloud", "fake SoundCloud", "episode.mp3"),
]


def _plain_copy(ctx: Context, url: str) -> float:
    """MB/s of the plain copy."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.plain_copy", url, f"http://{ctx.fakes.sink.host}/",
         str(settings.UPLOAD_CHUNK_SIZE)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    result = json.loads(out)
    return result["bytes"] / MB / result["seconds"]


def _upload(ctx: Context, platform: str, url: str, size: int) -> tuple[float, float]:
    """MB/s of the worker's upload and the pool's peak resident MB while it ran."""
    pool = ctx.stack.worker_pool()
    for pid in pool:
        peak_reset(pid)
    job_id = upload_post(ctx, platform=platform, asset_url=url, title="bench stream")
    ended = Job.objects.filter(
        pk=job_id, status__in=[JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED]
    )
    jobs_wait(ended, count=1, timeout=900, poll=0.2)
    job = Job.objects.get(pk=job_id)
    if job.status != JobStatus.SUCCEEDED:
        raise RuntimeError(f"the {platform} upload ended {job.status}: {job.error}")
    assert job.started_at is not None
    assert job.finished_at is not None
    seconds = (job.finished_at - job.started_at).total_seconds()
    peak = max(memory_kib(pid, "VmHWM") for pid in pool) * 1024 / MB
    return size / MB / seconds, peak


def run(ctx: Context) -> list[Row]:
    size = (64 if ctx.smoke else 1024) * 1024 * 1024
    label = f"{size // 2**20} MiB" if size < 2**30 else f"{size // 2**30} GiB"
    rows: list[Row] = []
    for platform, name, filename in PLATFORMS:
        url = ctx.fakes.assets.url(size, filename)
        ceiling = _plain_copy(ctx, url)
        speed, peak = _upload(ctx, platform, url, size)
        rows += [
            Row(SECTION, f"{label} to {name} vs plain copy", speed, "MB/s", ceiling,
                Target.ratio_at_least(0.6)),
            Row(SECTION, f"{label} to {name}: worker peak memory", peak, "MB", None,
                Target.below(MEMORY_BOUND_MB, "MB")),
        ]  # fmt: skip
    return rows
