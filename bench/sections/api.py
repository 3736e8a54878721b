"""API: requests/s and p50/p99 latency under wrk, each endpoint next to the framework ceiling
(``GET /bench/ceiling``, a bare Django view returning constant JSON, on the same server),
measured just before it at the same connection count.

``POST /api/v1/upload`` goes to the instant provider's channel: every accepted request is a
real job that the worker then runs, as in production. After those runs the worker is given
time to finish them before the next figure.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from bench.measure import Row, Target, WrkResult, wrk
from bench.providers import INSTANT_PLATFORM
from bench.setup import Context, queue_drain

SECTION = "api"
TARGET = Target.ratio_at_least(0.5)
# The serving issue's endpoints carry its target (50 % of the ceiling); the overview and the
# upload POST are measured beside them for context, without one.
ENDPOINTS = [
    ("GET /api/v1/channels", "/api/v1/channels", TARGET),
    ("GET /api/v1/jobs", "/api/v1/jobs", TARGET),
    ("GET /api/v1/metrics/overview", "/api/v1/metrics/overview", None),
    ("GET /health", "/health", TARGET),
]
UPLOAD = "POST /api/v1/upload"


def _upload_script(ctx: Context, directory: Path) -> Path:
    body = {
        "channelId": str(ctx.channels[INSTANT_PLATFORM]),
        "assetUrl": ctx.fakes.assets.url(1024, "episode.mp3"),
        "title": "bench upload",
    }
    script = directory / "upload.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(json.dumps(body))}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    return script


def _row(
    label: str, connections: int, result: WrkResult, ceiling: WrkResult, target: Target | None
) -> Row:
    """Requests/s against the ceiling's; the latencies of both in the measurement's text."""
    failed = f", {result.non_2xx} non-2xx" if result.non_2xx else ""
    latency = f"p50/p99 {result.p50:.1f}/{result.p99:.1f} ms vs {ceiling.p50:.1f}/{ceiling.p99:.1f}"
    return Row(
        SECTION, f"{label} c={connections} ({latency}{failed})", result.rps, "req/s",
        ceiling.rps, target,
    )  # fmt: skip


def run(ctx: Context) -> list[Row]:
    duration = 3 if ctx.smoke else 10
    rows: list[Row] = []
    for path in ("/bench/ceiling", "/api/v1/jobs"):  # warm every process up
        wrk(ctx.url(path), connections=16, duration=2, token=ctx.token)
    with tempfile.TemporaryDirectory() as directory:
        script = _upload_script(ctx, Path(directory))
        for connections in (32, 128):

            def measure(path: str, script: Path | None = None, c: int = connections) -> WrkResult:
                return wrk(ctx.url(path), connections=c, duration=duration, token=ctx.token,
                           script=script)  # fmt: skip

            ceiling = measure("/bench/ceiling")
            rows += [
                _row(label, connections, measure(path), ceiling, target)
                for label, path, target in ENDPOINTS
            ]
            upload = measure("/api/v1/upload", script)
            rows.append(_row(UPLOAD, connections, upload, ceiling, None))
            queue_drain(ctx, timeout=20 if ctx.smoke else 60)
    return rows
