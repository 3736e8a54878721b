"""``manage.py bench_seed_jobs`` (bench settings only): many finished jobs with COPY."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from bench.seed import jobs_seed
from bench.setup import filler_users_create


class Command(BaseCommand):
    help = "Seed finished jobs with COPY: --users new users at @bench.invalid, --per-user each."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--users", type=int, default=1000)
        parser.add_argument("--per-user", type=int, default=1000)

    def handle(self, *args, users: int, per_user: int, **options) -> None:
        started = time.monotonic()
        owners = filler_users_create(users)
        written = jobs_seed(owners=owners, per_owner=per_user)
        self.stdout.write(f"{written} jobs in {time.monotonic() - started:.1f} s")
