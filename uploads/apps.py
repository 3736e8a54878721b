from django.apps import AppConfig
from django.conf import settings

from channels_app.signals import channel_disconnecting


class UploadsConfig(AppConfig):
    name = "uploads"

    def ready(self) -> None:
        # Imported here as Django requires: these modules import models, loaded only by now.
        from core.owned_models import owner_changes_track
        from uploads.models import Job
        from uploads.runner import embedded_runner, is_server_process
        from uploads.services.jobs import jobs_cancel_when_channel_disconnects

        owner_changes_track(Job)
        channel_disconnecting.connect(
            jobs_cancel_when_channel_disconnects, dispatch_uid="uploads.cancel-queued-jobs"
        )
        if not settings.REDIS_URL and settings.UPLOAD_EMBEDDED_RUNNER and is_server_process():
            embedded_runner.start()
