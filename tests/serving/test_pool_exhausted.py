"""No free database connection is a fast 503 in the API's error shape, never a 500 or a wait
without end (real server, real pool, a connection held busy by a lock)."""

from __future__ import annotations

import threading
import time

import httpx
import psycopg
import pytest
from django.conf import settings

from accounts.services import session_start
from billing.services import plans_seed
from tests.factories import UserFactory
from tests.realtime.servers import shared_database_url
from tests.serving.servers import started


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_request_that_finds_no_free_connection_is_a_503_within_the_pool_timeout(tmp_path):
    plans_seed()
    token = session_start(user=UserFactory()).access
    auth = {"Authorization": f"Bearer {token}"}
    env = {
        "DATABASE_URL": shared_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "JWT_SECRET": settings.JWT_SECRET,
        "WEB_CONCURRENCY": "1",
        "DB_POOL_MIN_SIZE": "1",
        "DB_POOL_MAX_SIZE": "1",
        "DB_POOL_TIMEOUT": "1",
    }
    with started("procfile", tmp_path, **env) as server:
        base = server.base_url
        assert httpx.get(f"{base}/api/v1/jobs", headers=auth, timeout=10).status_code == 200
        # given the process's only connection is stuck behind a lock the test holds
        with psycopg.connect(shared_database_url()) as locker:
            locker.execute("LOCK TABLE uploads_job IN ACCESS EXCLUSIVE MODE")
            held: dict[str, httpx.Response] = {}
            # (a page not asked for before: the first one is kept and answered without a query)
            blocked = threading.Thread(
                target=lambda: held.update(
                    r=httpx.get(f"{base}/api/v1/jobs?pageSize=5", headers=auth, timeout=30)
                )
            )
            blocked.start()
            time.sleep(1)

            # when other requests arrive, on a DRF view and on a plain one
            started_at = time.monotonic()
            api = httpx.get(f"{base}/api/v1/channels", headers=auth, timeout=30)
            api_seconds = time.monotonic() - started_at
            health = httpx.get(f"{base}/health", timeout=30)
            locker.rollback()  # the lock goes, the held request finishes
        blocked.join(timeout=30)
        after = httpx.get(f"{base}/api/v1/channels", headers=auth, timeout=10)

    # then they are refused at once with 503 in the error shape, and all is well afterwards
    assert api.status_code == 503
    assert api.json()["errors"][0]["code"] == "service_unavailable"
    assert api.headers["Retry-After"] == "1"
    assert api_seconds < 3
    assert health.status_code == 503
    assert health.json()["failing"] == ["db"]
    assert held["r"].status_code == 200
    assert after.status_code == 200
