"""The Celery application. Configuration comes from Django settings (``CELERY_*``).

Delivery is fixed here, not per environment: every task is idempotent (the database row is the
record of truth), so a message is acknowledged only once its task ended (``acks_late``), is put
back when its worker process dies (``reject_on_worker_lost``), and a worker reserves one
message per process at a time (prefetch 1), so an upload waiting behind a busy worker can be
taken by an idle one.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway.settings")

app = Celery("gateway")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
)
app.autodiscover_tasks()
