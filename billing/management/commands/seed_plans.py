from django.core.management.base import BaseCommand

from billing.services import plans_seed


class Command(BaseCommand):
    help = "Create or update the free, pro and agency plans (idempotent)."

    def handle(self, *args, **options) -> None:
        result = plans_seed()
        for label, codes in (
            ("created", result.created),
            ("updated", result.updated),
            ("unchanged", result.unchanged),
        ):
            if codes:
                self.stdout.write(f"{label}: {', '.join(codes)}")
        self.stdout.write(self.style.SUCCESS("Plans are up to date."))
