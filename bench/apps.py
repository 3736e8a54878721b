"""The benchmark's app: loaded only with ``DJANGO_SETTINGS_MODULE=bench.settings``."""

from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "bench"
    label = "bench"

    def ready(self) -> None:
        from bench.providers import instant_provider_register

        instant_provider_register()
