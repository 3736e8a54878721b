"""daphne servers in child processes that share this test's database."""

from __future__ import annotations

from contextlib import ExitStack
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tests.support.processes import asgi_server


def shared_database_url() -> str:
    """DATABASE_URL of the database this test uses, for the server processes."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.postgresql":
        credentials = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            credentials += ":" + quote(db["PASSWORD"], safe="")
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        return f"postgres://{credentials}@{host}/{db['NAME']}"
    if connection.is_in_memory_db():
        pytest.skip("server processes cannot share an in-memory SQLite test database")
    return f"sqlite:///{db['NAME']}"


def start_servers(stack: ExitStack, count: int, **env: str) -> list[str]:
    """Start ``count`` daphne servers (stopped with ``stack``); return their ``ws://`` roots.

    They use this process's Redis (``REDIS_URL=""`` for embedded mode), secrets and database.
    """
    server_env = {
        "DATABASE_URL": shared_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "JWT_SECRET": settings.JWT_SECRET,
        "JWT_ISSUER": settings.JWT_ISSUER,
        "JWT_AUDIENCE": settings.JWT_AUDIENCE,
        "ENCRYPTION_KEY": settings.ENCRYPTION_KEY,
        "LOG_LEVEL": "WARNING",
        **env,
    }
    return [
        stack.enter_context(asgi_server(**server_env)).replace("http://", "ws://")
        for _ in range(count)
    ]
