"""With REDIS_URL set, the queue and the channel layer really go through Redis."""

import pytest
from asgiref.sync import async_to_sync
from celery.contrib.testing.tasks import ping
from celery.contrib.testing.worker import start_worker
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer

from gateway.celery import app as celery_app

pytestmark = pytest.mark.redis


@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_runs_a_task_sent_through_redis():
    with start_worker(celery_app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        result = ping.apply_async()

        assert result.get(timeout=20) == "pong"


def test_channel_layer_messages_travel_through_redis():
    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer)

    async def round_trip() -> dict:
        channel = await layer.new_channel()
        await layer.group_add("test-group", channel)
        await layer.group_send("test-group", {"type": "test.message", "text": "hello"})
        message = await layer.receive(channel)
        await layer.group_discard("test-group", channel)
        return message

    assert async_to_sync(round_trip)() == {"type": "test.message", "text": "hello"}
