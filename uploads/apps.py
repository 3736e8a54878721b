from django.apps import AppConfig
from django.conf import settings


class UploadsConfig(AppConfig):
    name = "uploads"

    def ready(self) -> None:
        from uploads.runner import embedded_runner, is_server_process

        if not settings.REDIS_URL and settings.UPLOAD_EMBEDDED_RUNNER and is_server_process():
            embedded_runner.start()
