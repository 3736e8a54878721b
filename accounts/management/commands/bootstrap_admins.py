from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.services import operators_bootstrap


class Command(BaseCommand):
    help = (
        "Make ADMIN_EMAIL a superuser and ADMIN_VIEWER_EMAIL a read-only staff user "
        '(group "Viewers"). Idempotent. New operators get no password: they set one '
        "through forgot-password."
    )

    def handle(self, *args, **options) -> None:
        if not (settings.ADMIN_EMAIL or settings.ADMIN_VIEWER_EMAIL):
            self.stdout.write("ADMIN_EMAIL and ADMIN_VIEWER_EMAIL are unset: nothing to do.")
            return
        results = operators_bootstrap(
            admin_email=settings.ADMIN_EMAIL, viewer_email=settings.ADMIN_VIEWER_EMAIL
        )
        for result in results:
            state = "created, no password yet: use forgot-password" if result.created else "updated"
            self.stdout.write(f"{result.role} {result.email}: {state}")
        self.stdout.write(self.style.SUCCESS("Operator accounts are up to date."))
