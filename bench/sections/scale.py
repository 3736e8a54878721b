"""Scale: latency of ``GET /api/v1/jobs`` and ``GET /api/v1/metrics/overview`` with 1,000 and
with 1,000,000 job rows in PostgreSQL, the queries each runs, and their plans.

The bench user owns 1,000 jobs in both cases; the other 999,000 rows belong to 999 other
users (1,000 each), seeded with COPY (``bench.seed``). So the figure shows whether a user's
pages cost more as the table grows, which the indexes must prevent. Latency is wrk's p50
with 4 connections (a lightly loaded server: the query, not the queue, is what is timed).
The plans (``EXPLAIN (ANALYZE, BUFFERS)``) at the large size go to ``explain.txt``.

Each request carries a query parameter of its own that the views ignore (``?build=``), so no
answer is one kept from a previous request (``core.kept_responses``): the query is timed.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.measure import Row, Target, wrk
from bench.seed import jobs_seed
from bench.setup import Context, filler_users_create, jobs_delete
from uploads.models import Job

SECTION = "scale"
ENDPOINTS = [("GET /api/v1/jobs", "/api/v1/jobs"),
             ("GET /api/v1/metrics/overview", "/api/v1/metrics/overview")]  # fmt: skip
OWN_JOBS = 1000
CONNECTIONS = 4


# Every request a URL of its own: wrk's threads number theirs.
_BUILD_SCRIPT = """
local threads = 0
function setup(thread) threads = threads + 1; thread:set("id", threads) end
function init(args) n = 0 end
function request() n = n + 1; return wrk.format(nil, wrk.path .. "?build=" .. id .. "-" .. n) end
"""


def _queries(ctx: Context, path: str) -> list[str]:
    """The SQL one request to ``path`` runs when it is built (after a first request warmed
    the caches)."""
    client = Client(HTTP_AUTHORIZATION=f"Bearer {ctx.token}", HTTP_HOST="127.0.0.1")
    client.get(path, {"build": "warm"})
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, {"build": "measured"})
    assert response.status_code == 200, response.content
    return [query["sql"] for query in captured.captured_queries]


def _measure(ctx: Context, duration: float) -> dict[str, tuple[float, float, list[str]]]:
    figures = {}
    with tempfile.TemporaryDirectory() as directory:
        script = Path(directory) / "build.lua"
        script.write_text(_BUILD_SCRIPT)
        for label, path in ENDPOINTS:
            result = wrk(ctx.url(path), connections=CONNECTIONS, duration=duration,
                         token=ctx.token, script=script)  # fmt: skip
            figures[label] = (result.p50, result.p99, _queries(ctx, path))
    return figures


def _explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def run(ctx: Context) -> list[Row]:
    duration = 3 if ctx.smoke else 8
    others = 19 if ctx.smoke else 999
    jobs_delete([ctx.user.pk])
    jobs_seed(owners=[(ctx.user.pk, ctx.channels["youtube"])], per_owner=OWN_JOBS)
    small_rows = Job.objects.count()
    small = _measure(ctx, duration)
    fillers = filler_users_create(others)
    jobs_seed(owners=fillers, per_owner=OWN_JOBS)
    large_rows = Job.objects.count()
    large = _measure(ctx, duration)
    with (ctx.out / "explain.txt").open("w") as out:
        for label, (_, _, queries) in large.items():
            out.write(f"# {label} with {large_rows:,} job rows: {len(queries)} queries\n")
            for sql in queries:
                plan = _explain(sql) if sql.lstrip().upper().startswith("SELECT") else ""
                out.write(f"\n{sql}\n{plan}\n")
            out.write("\n")
    jobs_delete([user for user, _ in fillers])
    rows = []
    for label, _ in ENDPOINTS:
        p50, p99, queries = large[label]
        base_p50, base_p99, base_queries = small[label]
        rows += [
            Row(SECTION, f"{label} p50 at {large_rows:,} rows vs {small_rows:,} "
                f"(p99 {p99:.1f} vs {base_p99:.1f} ms)", p50, "ms", base_p50,
                Target.ratio_at_most(1.5)),
            Row(SECTION, f"{label} queries per request at {large_rows:,} rows "
                f"vs {small_rows:,}", len(queries), "queries", len(base_queries)),
        ]  # fmt: skip
    return rows
