"""Sustained load: 128 connections for 60 s on ``GET /api/v1/jobs``, as the serving issue's
acceptance asks: no 5xx, PostgreSQL's connections to the database never above the configured
pools, ``/health`` 200 during the load and at once after.

A sampler reads ``pg_stat_activity`` (its own connection excluded) and ``/health`` every half
second while wrk runs. Requests the service refused for want of a turn or a database
connection (503) are counted from its log.
"""

from __future__ import annotations

import os
import threading
import time
import urllib.error
import urllib.request

import psycopg
from django.conf import settings

from bench.measure import Row, Target, wrk
from bench.setup import Context

SECTION = "sustained"
PATH = "/api/v1/jobs"
CONNECTIONS = 128
NONE = Target.below(1, "")
REFUSALS = ("database pool exhausted", "request refused: no turn")


def _database_connections(conn: psycopg.Connection) -> int:
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()"
    ).fetchone()
    return int(row[0]) if row else 0


def _health(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310  (loopback)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0  # no answer within 5 s


def run(ctx: Context) -> list[Row]:
    duration = 5 if ctx.smoke else 60
    pool_total = (
        len(ctx.stack.web_workers()) + len(ctx.stack.worker_pool()) + 1  # beat
    ) * settings.DB_POOL_MAX_SIZE
    refused_before = sum(ctx.stack.log.read_text().count(text) for text in REFUSALS)
    peak, probes = [0], []
    done = threading.Event()

    def sample() -> None:
        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
            while not done.is_set():
                peak[0] = max(peak[0], _database_connections(conn))
                probes.append(_health(ctx.url("/health")))
                time.sleep(0.5)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = wrk(ctx.url(PATH), connections=CONNECTIONS, duration=duration, token=ctx.token)
    finally:
        done.set()
        sampler.join()
    after = _health(ctx.url("/health"))
    refused = sum(ctx.stack.log.read_text().count(text) for text in REFUSALS) - refused_before
    label = f"GET {PATH} c={CONNECTIONS} for {duration} s"
    return [
        Row(SECTION, f"{label}: {result.requests} answers, {result.rps:.0f} req/s, "
            f"p50/p99 {result.p50:.0f}/{result.p99:.0f} ms: non-2xx", result.non_2xx, "",
            target=NONE),
        Row(SECTION, f"{label}: refused 503 (service log)", refused, "", target=NONE),
        Row(SECTION, f"{label}: PostgreSQL connections, peak vs the pools' total", peak[0],
            "connections", pool_total, Target.ratio_at_most(1.0)),
        Row(SECTION, f"/health not 200 during ({len(probes)} probes) or at once after",
            len(probes) - probes.count(200) + (after != 200), "", target=NONE),
    ]  # fmt: skip
