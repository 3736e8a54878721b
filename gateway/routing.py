"""WebSocket routes. The job feed (``/ws/jobs``) is added by the realtime work."""

websocket_urlpatterns: list = []
