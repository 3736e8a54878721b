"""What channels_app tells the apps that depend on it; it imports none of them.

``channel_disconnecting`` is sent inside the disconnect's transaction, before the channel row
is deleted, with ``channel_id``. An app whose rows depend on a channel connects a receiver in
its ``AppConfig.ready()`` (``uploads`` cancels the channel's jobs that have not started), so a
receiver's writes commit or roll back with the disconnect.
"""

from django.dispatch import Signal

channel_disconnecting = Signal()
