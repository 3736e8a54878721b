"""The engine ceiling of the queue benchmark: a task that only counts itself.

Same delivery options as ``uploads.tasks.run_job_task`` (late ack, no stored result), sent to
the same broker and run by the same worker pool, so the ratio of jobs per second to these
tasks per second is what the upload pipeline costs on top of Celery itself.
"""

from celery import shared_task

from core.redis import get_redis


@shared_task(acks_late=True, ignore_result=True)
def noop(counter: str) -> None:
    redis = get_redis()
    assert redis is not None, "the benchmark runs with REDIS_URL"
    redis.incr(counter)
