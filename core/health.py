"""Readiness of the parts Gateway depends on, for ``GET /health``."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field

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
        body = asdict(self)
        if not self.failing:
            del body["failing"]
        return body


def _database_ok() -> bool:
    try:
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
            # One round trip for both (a load balancer asks often).
            pipe = client.pipeline(transaction=False)
            pipe.ping()
            pipe.llen(settings.CELERY_TASK_DEFAULT_QUEUE)
            _, depth = pipe.execute()
            report.redis = "connected"
            report.queue_depth = int(depth)
        except redis.RedisError as exc:
            logger.warning("health: redis unavailable: %s", type(exc).__name__)
            report.redis = "unavailable"
            report.failing.append("redis")
    if report.failing:
        report.status = "degraded"
    return report
