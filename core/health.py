"""Readiness of the parts Gateway depends on, for ``GET /health``."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import redis
from django.conf import settings
from django.db import DatabaseError, connection

from core.redis import get_redis

logger = logging.getLogger(__name__)


@dataclass
class HealthReport:
    status: str = "ok"
    db: str = "connected"
    redis: str = "not_configured"
    queue_depth: int = 0
    websocket: str = "active"
    failing: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.failing

    def as_dict(self) -> dict:
        body = dict(vars(self))  # the fields; a shallow copy is enough to render
        if not self.failing:
            del body["failing"]
        return body


def _checked_on_checkout() -> bool:
    """Whether taking a connection proves the database answers: psycopg's pool runs an empty
    query on each checkout when ``CONN_HEALTH_CHECKS`` is on (``gateway.settings``)."""
    settings_dict = connection.settings_dict
    return (
        bool(settings_dict.get("OPTIONS", {}).get("pool")) and settings_dict["CONN_HEALTH_CHECKS"]
    )


def _database_ok() -> bool:
    """A connection is taken (a pool's checked checkout is a round trip already), else
    ``SELECT 1`` asks the database."""
    try:
        taken_now = connection.connection is None
        connection.ensure_connection()
        if not (taken_now and _checked_on_checkout()):
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("health: database unavailable: %s", type(exc).__name__)
        return False
    return True


def health_check() -> HealthReport:
    """Check the database, Redis when configured, and the depth of the task queue."""
    report = HealthReport()
    if not _database_ok():
        report.db = "unavailable"
        report.failing.append("db")
    client = get_redis()
    if client is not None:
        try:
            # The queue's length is the answer that Redis is up (a load balancer asks often).
            depth = client.llen(settings.CELERY_TASK_DEFAULT_QUEUE)
            report.redis = "connected"
            report.queue_depth = int(depth)
        except redis.RedisError as exc:
            logger.warning("health: redis unavailable: %s", type(exc).__name__)
            report.redis = "unavailable"
            report.failing.append("redis")
    if report.failing:
        report.status = "degraded"
    return report
