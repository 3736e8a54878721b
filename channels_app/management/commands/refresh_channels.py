"""``manage.py refresh_channels [--user EMAIL] [--platform ID]``: refresh channels now."""

from __future__ import annotations

from collections import Counter

from django.core.management.base import BaseCommand, CommandError, CommandParser

from channels_app.selectors import channels_for_refresh
from channels_app.services.refresh import channel_refresh
from core.errors import ApplicationError
from providers.platforms import Platform


class Command(BaseCommand):
    help = "Refresh connected channels from their platforms, printing progress and a summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", metavar="EMAIL", help="only this user's channels")
        parser.add_argument(
            "--platform", choices=Platform.values, help="only channels on this platform"
        )

    def handle(self, *args, user: str | None, platform: str | None, **options) -> None:
        channels = list(channels_for_refresh(email=user, platform=platform))
        if user and not channels:
            raise CommandError(f"No channels found for {user}.")
        outcomes: Counter[str] = Counter()
        total = len(channels)
        for index, channel in enumerate(channels, start=1):
            label = f"[{index}/{total}] {channel.platform} {channel.pk}"
            try:
                outcome = channel_refresh(channel=channel).status
            except ApplicationError as exc:
                outcome = f"failed ({exc.code})"
            outcomes["FAILED" if outcome.startswith("failed") else outcome] += 1
            self.stdout.write(f"{label}: {outcome}")
        summary = ", ".join(f"{status} {count}" for status, count in sorted(outcomes.items()))
        self.stdout.write(
            self.style.SUCCESS(f"Refreshed {total} channels" + (f": {summary}" if summary else "."))
        )
