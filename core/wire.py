"""Values as the API writes them, for the few hot paths that build their JSON by hand.

DRF's field-by-field ``to_representation`` costs about 70 µs per job on a list page; the read
serializers of the list endpoints (jobs, channels) build their dict directly with these
helpers instead, and a test holds them equal to DRF's own output.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID


def datetime_wire(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, exactly as DRF's ``DateTimeField`` renders it here."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def uuid_wire(value: UUID | None) -> str | None:
    return None if value is None else str(value)
