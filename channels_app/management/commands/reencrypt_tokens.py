"""``manage.py reencrypt_tokens``: seal every stored token with the current ENCRYPTION_KEY."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from channels_app.services.grants import channel_tokens_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt every channel's refresh token with ENCRYPTION_KEY. Put the previous key in "
        "ENCRYPTION_KEYS_OLD first; remove it once this reports no failures."
    )

    def handle(self, *args, **options) -> None:
        result = channel_tokens_reencrypt()
        self.stdout.write(
            f"Re-encrypted {result.reencrypted} tokens; {result.current} already current."
        )
        if result.failed:
            raise CommandError(
                f"{len(result.failed)} tokens do not decrypt with any configured key: "
                + ", ".join(result.failed)
            )
        self.stdout.write(self.style.SUCCESS("All tokens are sealed with the current key."))
