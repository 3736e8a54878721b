"""Scripts sent together in one round trip (core.redis_scripts), and the kept lists' version
read riding along the rate limit's hit."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings
from redis.commands.core import Script

from core.redis_scripts import ScriptCall, scripts_run

pytestmark = pytest.mark.redis

_COUNT = Script(None, b"return redis.call('INCR', KEYS[1])")  # type: ignore[arg-type]
_READ = Script(None, b"return redis.call('GET', KEYS[1])")  # type: ignore[arg-type]
_FAIL = Script(None, b"return redis.error_reply('refused')")  # type: ignore[arg-type]


@pytest.fixture
def client() -> redis.Redis:
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete("scripts-test:counter")
    return client


def test_scripts_unknown_to_redis_are_loaded_and_each_runs_once(client):
    client.script_load(_COUNT.script)
    client.script_flush()  # a restarted Redis: neither script is known

    replies = scripts_run(
        client,
        [
            ScriptCall(_COUNT, ["scripts-test:counter"], []),
            ScriptCall(_READ, ["scripts-test:counter"], []),
        ],
    )

    assert replies == [1, b"1"]
    assert client.get("scripts-test:counter") == b"1"  # counted once, not once per attempt


def test_only_the_calls_that_did_not_run_are_sent_again(client):
    client.script_load(_COUNT.script)
    client.script_flush()
    client.script_load(_COUNT.script)  # known: runs in the first round, never again

    replies = scripts_run(
        client,
        [
            ScriptCall(_COUNT, ["scripts-test:counter"], []),
            ScriptCall(_READ, ["scripts-test:counter"], []),
        ],
    )

    assert replies == [1, b"1"]


def test_an_error_of_a_call_is_raised(client):
    with pytest.raises(redis.ResponseError, match="refused"):
        scripts_run(
            client, [ScriptCall(_READ, ["scripts-test:counter"], []), ScriptCall(_FAIL, [], [])]
        )


@pytest.mark.django_db
def test_a_kept_list_reads_its_version_in_the_rate_limits_round_trip(api, channel, monkeypatch):
    api.get("/api/v1/jobs")

    def no_round_trip_of_its_own(owner_id):
        raise AssertionError("the version was read in a round trip of its own")

    monkeypatch.setattr("core.kept_responses.version_read", no_round_trip_of_its_own)
    assert api.get("/api/v1/jobs").status_code == 200
