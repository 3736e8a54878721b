"""gunicorn settings shared by every start command (Procfile, Dockerfile, ``make run``).

Workers: ``WEB_CONCURRENCY`` (default one per core) with Redis; exactly one in embedded mode,
whose in-memory channel layer and job runner live in a single process.
"""

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway.settings")

# Reads the environment and .env exactly as the application does.
from django.conf import settings

bind = [f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '4000')}"]  # noqa: S104
workers = settings.WEB_CONCURRENCY
worker_class = "core.uvicorn_worker.GatewayUvicornWorker"
# The application writes one JSON access line per request (core.access_log).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
keepalive = 5
graceful_timeout = 30
# Several servers may run on one machine (tests, benchmarks): no shared control socket.
control_socket_disable = True


def post_worker_init(worker: object) -> None:
    """Move what the worker built at start (Django, the app, its imports: about 200,000
    objects) out of the garbage collector's sight: collections then walk only what requests
    allocate (gc.freeze, as CPython's documentation advises for servers)."""
    gc.freeze()
