"""Lua scripts sent to Redis together, in one round trip."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis
from redis.commands.core import Script
from redis.exceptions import NoScriptError


@dataclass(frozen=True)
class ScriptCall:
    script: Script
    keys: Sequence[str]
    args: Sequence[Any]


def scripts_run(client: redis.Redis, calls: Sequence[ScriptCall]) -> list[Any]:
    """The replies of ``calls``, sent in one pipelined round trip (``EVALSHA``). A script Redis
    does not know yet (first use, or after a restart) is loaded and only the calls that
    did not run are sent again; redis-py's own pipeline would ask ``SCRIPT EXISTS`` first,
    a round trip more on every batch. Raises the first error of a call."""
    replies: list[Any] = [None] * len(calls)
    pending = list(range(len(calls)))
    for attempt in range(2):
        pipe = client.pipeline(transaction=False)
        for index in pending:
            call = calls[index]
            pipe.evalsha(call.script.sha, len(call.keys), *call.keys, *call.args)  # type: ignore[arg-type]
        for index, reply in zip(pending, pipe.execute(raise_on_error=False), strict=True):
            replies[index] = reply
        pending = [index for index in pending if isinstance(replies[index], NoScriptError)]
        if not pending or attempt:
            break
        for index in pending:
            client.script_load(calls[index].script.script)
    for reply in replies:
        if isinstance(reply, Exception):
            raise reply
    return replies
