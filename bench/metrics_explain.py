"""The query plans of ``GET /api/v1/metrics/overview`` on a large jobs table (PostgreSQL).

    DATABASE_URL=postgres://... .venv/bin/python bench/metrics_explain.py \
        [--jobs 1000000] [--users 100] [--keep]

The database must be migrated. The script creates ``--users`` users with a channel each and
``--jobs`` jobs spread evenly over them and over the five statuses (one ``INSERT ... SELECT
generate_series``), runs ``VACUUM ANALYZE``, then runs the overview's selectors for one of
those users, printing each SQL statement they issue with its ``EXPLAIN (ANALYZE, BUFFERS)``
plan, and the job counts' plan once more without the ``job_user_status`` index.
Its rows are deleted afterwards unless ``--keep``. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway.settings")
os.environ.setdefault("DEBUG", "true")

EMAIL_DOMAIN = "metrics-bench.invalid"

FILL_JOBS = """
WITH ch AS (
    SELECT c.id, c.user_id, row_number() OVER (ORDER BY c.id) - 1 AS k
    FROM channels_app_channel c JOIN accounts_user u ON u.id = c.user_id
    WHERE u.email LIKE %(pattern)s
)
INSERT INTO uploads_job (id, user_id, channel_id, platform, asset_url, title, description,
    status, progress, attempts, idempotency_key, upload_session_uri, created_at, updated_at)
SELECT gen_random_uuid(), ch.user_id, ch.id, 'youtube', 'https://cdn.example.com/v.mp4',
    'Episode ' || n, '',
    (ARRAY['QUEUED','RUNNING','SUCCEEDED','FAILED','CANCELED'])[1 + (n / %(users)s) %% 5],
    0, 0, '', '', now() - (n || ' seconds')::interval, now()
FROM generate_series(0, %(jobs)s - 1) AS n JOIN ch ON ch.k = n %% %(users)s
"""


def explain(connection, sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from billing.selectors import plan_default
    from channels_app.models import Channel, ChannelStatus
    from metrics.selectors import account_usage, job_counts

    if connection.vendor != "postgresql":
        sys.exit("metrics_explain needs PostgreSQL (DATABASE_URL=postgres://...)")
    plan = plan_default()
    users = User.objects.bulk_create(
        User(email=f"bench{i}@{EMAIL_DOMAIN}", plan=plan) for i in range(args.users)
    )
    Channel.objects.bulk_create(
        Channel(
            user=u,
            platform="youtube",
            provider_channel_id=f"UCbench{i}",
            status=ChannelStatus.ACTIVE,
        )
        for i, u in enumerate(users)
    )
    try:
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(
                FILL_JOBS, {"jobs": args.jobs, "users": args.users, "pattern": f"%@{EMAIL_DOMAIN}"}
            )
            # Autovacuum's steady state: statistics, and the visibility map index-only scans need.
            cursor.execute("VACUUM ANALYZE uploads_job")
            cursor.execute("SELECT count(*) FROM uploads_job")
            total = cursor.fetchone()[0]
        print(f"filled {args.jobs} jobs in {time.monotonic() - started:.1f} s; table holds {total}")
        user = User.objects.select_related("plan").get(pk=users[0].pk)
        with CaptureQueriesContext(connection) as queries:
            usage = account_usage(user=user)
            counts = job_counts(user=user)
        print(f"user {user.email}: {usage}, {counts}; {len(queries)} queries")
        for query in queries.captured_queries:
            print("\n" + query["sql"])
            print(explain(connection, query["sql"]))
        print("\nThe job counts again without the job_user_status index (dropped, rolled back):")
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("DROP INDEX job_user_status")
            print(explain(connection, queries.captured_queries[-1]["sql"]))
            transaction.set_rollback(True)
    finally:
        if not args.keep:
            User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").delete()


if __name__ == "__main__":
    main()
