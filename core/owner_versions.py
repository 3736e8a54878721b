"""Version tokens of each owner's rows, shared by every process through the cache's Redis.

A process that keeps a response built from one user's rows (:mod:`core.kept_responses`) asks,
in one round trip, for that user's token and the global one; the response holds while both
are unchanged. Every change to an owner's rows replaces the owner's token
(:mod:`core.owned_models` sees to it), a change whose owners are unknown replaces the global
token. A token is a random string, never a counter: a token that expired or was evicted comes
back as a new one, so no kept response can match it again.

Ordering with the database: inside a transaction a change replaces the tokens twice, at once
and again once the transaction commits. A reader that read the token in between built its
response from the rows as they were before the commit, and the second replacement retires
it; a reader after the commit sees the new rows. Outside a transaction the change has
committed when it replaces the tokens.

Without Redis (embedded mode, or while it is unreachable) there is no token and nothing is
kept. A replacement lost to a Redis outage is bounded by the kept responses' lifetime
(``LIST_CACHE_TTL``).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

import redis
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection, transaction
from redis.commands.core import Script
from redis.exceptions import RedisError

from core.cache_outage import cache_outage
from core.redis_pool import cache_client
from core.redis_scripts import ScriptCall, scripts_run

_KEY_PREFIX = "owner-version"
_EVERYONE = f"{_KEY_PREFIX}:*"
TOKEN_LIFETIME = 7 * 24 * 3600
"""Seconds a token lives in Redis; an expired one is simply replaced by a new one."""

# KEYS: the owner's token, the global token. ARGV: a new token for each if missing, lifetime.
_READ_SCRIPT = Script(
    None,  # type: ignore[arg-type]  # run with an explicit client
    b"""
local tokens = {}
for i = 1, 2 do
    local token = redis.call('GET', KEYS[i])
    if not token then
        token = ARGV[i]
        redis.call('SET', KEYS[i], token, 'EX', ARGV[3])
    end
    tokens[i] = token
end
return tokens
""",
)


@dataclass(frozen=True)
class Version:
    """What an owner's rows were read under: valid while both tokens are unchanged."""

    owner: bytes
    everyone: bytes


def _owner_key(owner_id: object) -> str:
    return f"{_KEY_PREFIX}:{owner_id}"


def _client() -> redis.Redis | None:
    cache = caches["default"]
    if not isinstance(cache, RedisCache) or cache_outage.skip_cache():
        return None
    return cache_client(cache)


def version_call(owner_id: object) -> ScriptCall:
    """The script call that reads (creating if missing) the owner's and the global token;
    :func:`version_of` reads its reply."""
    return ScriptCall(
        _READ_SCRIPT,
        [_owner_key(owner_id), _EVERYONE],
        [secrets.token_hex(8), secrets.token_hex(8), TOKEN_LIFETIME],
    )


def version_of(reply: list[bytes]) -> Version:
    owner, everyone = reply
    return Version(owner=owner, everyone=everyone)


def version_read(owner_id: object) -> Version | None:
    """The owner's current version, or ``None`` when it cannot be known (no Redis)."""
    client = _client()
    if client is None:
        return None
    try:
        (reply,) = scripts_run(client, [version_call(owner_id)])
    except RedisError as exc:
        cache_outage.failed(exc)
        return None
    return version_of(reply)


def _replace(keys: list[str]) -> None:
    client = _client()
    if client is None:
        return
    try:
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.set(key, secrets.token_hex(8), ex=TOKEN_LIFETIME)
        pipe.execute()
    except RedisError as exc:
        cache_outage.failed(exc)


def _changed(keys: list[str]) -> None:
    if not keys:
        return
    if connection.in_atomic_block:
        _replace(keys)
    transaction.on_commit(lambda: _replace(keys))


def owners_changed(owner_ids: Iterable[object]) -> None:
    """Rows of these owners changed (or will, when the current transaction commits)."""
    _changed(sorted({_owner_key(owner_id) for owner_id in owner_ids if owner_id is not None}))


def everyone_changed() -> None:
    """Rows of owners not known changed: every kept response is retired."""
    _changed([_EVERYONE])
