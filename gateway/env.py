"""Helpers that turn environment variables into settings values.

Kept apart from ``settings.py`` so they can be unit-tested without reloading settings.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import sys
from datetime import timedelta
from typing import NamedTuple

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: str) -> timedelta:
    """Parse ``"15m"``, ``"30d"``, ``"1h"`` or a bare number of seconds."""
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"not a duration: {value!r} (use e.g. 90s, 15m, 1h, 30d)")
    amount, unit = match.groups()
    return timedelta(seconds=int(amount) * _UNIT_SECONDS[unit])


class Rate(NamedTuple):
    """At most ``limit`` events in any ``period`` seconds."""

    limit: int
    period: int


def parse_rate(value: str) -> Rate:
    """Parse ``"10/15m"`` (ten per fifteen minutes) into a :class:`Rate`."""
    limit, sep, period = value.partition("/")
    if not sep or not limit.strip().isdigit() or int(limit) < 1:
        raise ValueError(f"not a rate: {value!r} (use e.g. 10/15m, 30/1h)")
    return Rate(limit=int(limit), period=int(parse_duration(period).total_seconds()))


def parse_percentages(value: str) -> dict[str, int]:
    """Parse ``"free=5,pro=20"`` into ``{"free": 5, "pro": 20}``: whole per cents, 1 to 100."""
    shares: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, sep, percent = (text.strip() for text in item.partition("="))
        if not name or not sep or not percent.isdigit() or not 1 <= int(percent) <= 100:
            raise ValueError(f"not a list of per cents: {value!r} (use e.g. free=5,pro=20)")
        shares[name] = int(percent)
    return shares


def derive_key(secret: str, purpose: str) -> str:
    """Derive an independent key for ``purpose`` from ``secret`` (HMAC-SHA256, hex)."""
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).hexdigest()


def fail_configuration(message: str) -> None:
    """Stop start-up with one clear line on stderr instead of a traceback."""
    sys.exit(f"Gateway configuration error: {message}")
