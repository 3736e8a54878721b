"""The Celery application. Configuration comes from Django settings (``CELERY_*``).

Delivery is fixed here, not per environment: every task is idempotent (the database row is the
record of truth), so a message is acknowledged only once its task ended (``acks_late``), is put
back when its worker process dies (``reject_on_worker_lost``), and a worker reserves one
message per process at a time (prefetch 1), so an upload waiting behind a busy worker can be
taken by an idle one.

Database connections in a worker are handled as Django handles them around a request:
``close_old_connections`` before and after each task gives the connection back to the
process's psycopg pool and drops a broken one. Celery's own Django fix-up would close them
itself and, under prefork, close the whole pool too, before and after every task: each task
then paid for a new pool, its threads and new PostgreSQL connections (most of an instant
upload's time in the queue benchmark). ``CELERY_DB_REUSE_MAX`` limits the fix-up's closing to
once every ``WORKER_POOL_RENEW_EVERY`` tasks. A starting worker still drops the connections
open in it, and a pool process still closes the pool it inherited (both as the fix-up does).
"""

import os
from typing import Any

from celery import Celery, Task
from celery.signals import task_postrun, task_prerun, worker_init
from django.db import close_old_connections, connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway.settings")

WORKER_POOL_RENEW_EVERY = 1000
"""Tasks a worker process runs between two renewals of its database connection pool."""

app = Celery("gateway")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    CELERY_DB_REUSE_MAX=WORKER_POOL_RENEW_EVERY,  # read under this name by celery.fixups.django
)
app.autodiscover_tasks()


@worker_init.connect
def _connections_close_at_start(sender: Any = None, **kwargs: Any) -> None:
    """A starting worker keeps no connection opened before it, nor a prefork parent the pool
    its processes would inherit (what the fix-up does at start, which ``CELERY_DB_REUSE_MAX``
    limits too)."""
    connections.close_all()
    if "prefork" in str(getattr(sender, "pool_cls", "")):
        for connection in connections.all():
            if hasattr(connection, "close_pool"):
                connection.close_pool()


@task_prerun.connect
@task_postrun.connect
def _connections_tidy(sender: Task | None = None, **kwargs: Any) -> None:
    """Give the task's connections back to the pool, dropping unusable ones (not for a task run
    eagerly inside a request or a test: those are the caller's)."""
    if sender is not None and not getattr(sender.request, "is_eager", False):
        close_old_connections()
