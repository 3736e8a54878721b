from django.apps import AppConfig


class ChannelsAppConfig(AppConfig):
    name = "channels_app"
    label = "channels_app"
    verbose_name = "Channels"

    def ready(self) -> None:
        # Imported here as Django requires: models are loaded only by now.
        from channels_app.models import Channel
        from core.owned_models import owner_changes_track

        owner_changes_track(Channel)
