from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self) -> None:
        from billing import receivers  # noqa: F401  (connects the dj-stripe event handlers)
        from billing.stripe_api import stripe_configure

        stripe_configure()
