"""WebSocket routes."""

from django.urls import re_path

from uploads.consumers import JobFeedConsumer

websocket_urlpatterns = [
    re_path(r"^ws/jobs/?$", JobFeedConsumer.as_asgi()),
]
