"""Many job rows at once with PostgreSQL's COPY (about a million in a few seconds).

Rows are written in COPY's text format: the columns that vary (id, owner, channel, status,
title, times) are formatted per row, every other column once from an unsaved ``Job``'s
defaults, so a new column with a default needs no change here. Only finished statuses are
seeded, so the beat's recovery never picks a seeded job up.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from uuid import UUID

from django.db import connection
from django.utils import timezone

from core.owner_versions import owners_changed
from uploads.models import Job, JobStatus

STATUSES = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED)
VARYING = ("id", "user_id", "channel_id", "status", "title", "created_at", "updated_at")
BATCH = 50_000


def _text(value: object) -> str:
    """One value in COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value)
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _constant_columns() -> tuple[list[str], str]:
    template = Job(platform="youtube", asset_url="https://cdn.example.com/episode.mp4")
    fields = [f for f in Job._meta.concrete_fields if f.attname not in VARYING]
    values = "\t".join(_text(getattr(template, field.attname)) for field in fields)
    return [field.column for field in fields], values


def _lines(owners: list[tuple[UUID, UUID | None]], per_owner: int, constant: str) -> Iterator[str]:
    now = timezone.now()
    base = uuid.uuid4().int & ~((1 << 64) - 1)  # random upper half, a counter below
    number = 0
    for user_id, channel_id in owners:
        channel = _text(channel_id)
        for n in range(per_owner):
            number += 1
            created = (now - timedelta(seconds=n)).isoformat()
            yield (
                f"{UUID(int=base | number)}\t{user_id}\t{channel}\t{STATUSES[n % 3]}\t"
                f"Episode {n}\t{created}\t{created}\t{constant}\n"
            )


def jobs_seed(*, owners: list[tuple[UUID, UUID | None]], per_owner: int) -> int:
    """Insert ``per_owner`` finished jobs for each (user id, channel id); refresh the planner's
    statistics and the visibility map (autovacuum's steady state). The number of rows written."""
    columns, constant = _constant_columns()
    names = ", ".join([*VARYING, *columns])
    written = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        with raw.copy(f"COPY uploads_job ({names}) FROM STDIN") as copy:
            batch: list[str] = []
            for line in _lines(owners, per_owner, constant):
                batch.append(line)
                if len(batch) == BATCH:
                    copy.write("".join(batch))
                    written += len(batch)
                    batch = []
            copy.write("".join(batch))
            written += len(batch)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE uploads_job")
    owners_changed(owner for owner, _ in owners)  # COPY is SQL Django does not see
    return written
