"""Drill: PostgreSQL unreachable for 10 seconds under traffic.

The server (daphne, as in production) reaches the shared PostgreSQL through a proxy that the
drill cuts: open connections are reset, new ones refused. Clients get a fast 503 in the error
shape, never a 500 or a stack trace; ``/health`` says ``db`` is failing, and everything
answers 200 again once the database is back, without a restart.
"""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from django.conf import settings

from billing.services import plans_seed
from tests.drills.tcp_proxy import CuttableProxy
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.realtime.servers import shared_database_url
from tests.support.processes import asgi_server

pytestmark = [
    pytest.mark.drill,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not shared_database_url().startswith("postgres"), reason="drills PostgreSQL (CI)"
    ),
]

OUTAGE = 10.0  # seconds


def _through(proxy: CuttableProxy, url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{proxy.port}"
    return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) > 1 else host))


class Traffic(threading.Thread):
    """Reads the jobs list and /health in a loop, keeping every answer."""

    def __init__(self, http: httpx.Client, auth: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.http, self.auth = http, auth
        self.answers: list[httpx.Response] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for path, headers in (("/api/v1/jobs", self.auth), ("/health", {})):
                self.answers.append(self.http.get(path, headers=headers))
            time.sleep(0.05)


def test_postgres_unreachable_for_ten_seconds_is_503_then_recovers_without_a_restart():
    plans_seed()
    user = UserFactory()
    db = urlsplit(shared_database_url())
    with (
        CuttableProxy(db.hostname or "127.0.0.1", db.port or 5432) as proxy,
        asgi_server(
            DATABASE_URL=_through(proxy, shared_database_url()),
            JWT_SECRET=settings.JWT_SECRET,
            JWT_ISSUER=settings.JWT_ISSUER,
            JWT_AUDIENCE=settings.JWT_AUDIENCE,
            ENCRYPTION_KEY=settings.ENCRYPTION_KEY,
            LOG_LEVEL="WARNING",
            DB_POOL_TIMEOUT="1",
        ) as base_url,
        httpx.Client(base_url=base_url, timeout=15) as http,
    ):
        login = http.post("/auth/login", json={"email": user.email, "password": DEFAULT_PASSWORD})
        assert login.status_code == 200, login.text
        auth = {"Authorization": f"Bearer {login.json()['access']}"}
        assert http.get("/api/v1/jobs", headers=auth).status_code == 200
        assert http.get("/health").status_code == 200

        traffic = Traffic(http, auth)
        traffic.start()
        time.sleep(0.5)
        proxy.cut()
        cut_at = len(traffic.answers)
        time.sleep(OUTAGE)
        during = traffic.answers[cut_at:]
        proxy.restore()

        deadline = time.monotonic() + 20
        while (health := http.get("/health")).status_code != 200:
            assert time.monotonic() < deadline, health.text
            time.sleep(0.2)
        time.sleep(1)
        traffic.stop.set()
        traffic.join(timeout=20)
        after_jobs = http.get("/api/v1/jobs", headers=auth)

    health_during = [r for r in during if r.url.path == "/health"]
    assert health_during, "no /health answer while the database was down"
    assert {r.status_code for r in health_during[1:]} == {503}
    assert health_during[-1].json()["failing"] == ["db"]
    jobs_during = [r for r in during if r.url.path == "/api/v1/jobs"]
    assert {r.status_code for r in jobs_during[1:]} == {503}, [r.text for r in jobs_during]
    assert jobs_during[-1].json()["errors"][0]["code"] == "service_unavailable"
    statuses = {r.status_code for r in traffic.answers}
    assert statuses <= {200, 503}, statuses  # never a 500
    assert not [r for r in traffic.answers if "Traceback" in r.text]
    assert health.json()["db"] == "connected"
    assert after_jobs.status_code == 200
