from django.apps import AppConfig
from django.conf import settings


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self) -> None:
        from core.processes import is_server_process
        from webhooks.runner import embedded_sender

        if not settings.REDIS_URL and is_server_process():
            embedded_sender.start()
