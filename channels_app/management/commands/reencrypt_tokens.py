"""``manage.py reencrypt_tokens``: seal every stored token and creators' Google client secrets
with the current ENCRYPTION_KEY."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from channels_app.services.google_projects import google_project_secrets_reencrypt
from channels_app.services.grants import channel_tokens_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt every channel's refresh token and every Google project's client secret "
        "with ENCRYPTION_KEY. Put the previous key in ENCRYPTION_KEYS_OLD first; remove it "
        "once this reports no failures."
    )

    def handle(self, *args, **options) -> None:
        failed: list[str] = []
        for what, reencrypt in (
            ("tokens", channel_tokens_reencrypt),
            ("Google project secrets", google_project_secrets_reencrypt),
        ):
            result = reencrypt()
            self.stdout.write(
                f"Re-encrypted {result.reencrypted} {what}; {result.current} already current."
            )
            failed += result.failed
        if failed:
            raise CommandError(
                f"{len(failed)} tokens do not decrypt with any configured key: " + ", ".join(failed)
            )
        self.stdout.write(self.style.SUCCESS("All tokens are sealed with the current key."))
