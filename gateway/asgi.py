"""ASGI entry point: HTTP and WebSocket on one port (scripts/serve: gunicorn + uvicorn).

HTTP passes ``core.asgi_limits.BodyLimitMiddleware`` first: a small JSON body everywhere, the
signed size on the upload PUT (token checked before the body is read). Then
``core.asgi_concurrency.InFlightLimit`` lets ``WEB_MAX_INFLIGHT`` requests into Django at once
(``/health`` has turns of its own), each on a thread kept between requests.
"""

import os
import re

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway.settings")
# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from accounts.ws_auth import websocket_origin_validator  # noqa: E402
from core.asgi_concurrency import InFlightLimit  # noqa: E402
from core.asgi_limits import BodyLimitMiddleware, BodyRoute  # noqa: E402
from gateway.routing import websocket_urlpatterns  # noqa: E402
from uploads.api.views import blob_body_limit  # noqa: E402

HEALTH = re.compile(r"^/health$")
# Health checks have turns of their own, so they answer while the API's are all taken.
HEALTH_TURNS = 2

http_application = BodyLimitMiddleware(
    InFlightLimit(
        InFlightLimit(
            django_asgi_app,
            limit=settings.WEB_MAX_INFLIGHT,
            queue_timeout=settings.WEB_QUEUE_TIMEOUT,
            exempt=re.compile(r"^/(api/v1/upload/blob/|feeds/|health$)"),
        ),
        limit=HEALTH_TURNS,
        queue_timeout=settings.WEB_QUEUE_TIMEOUT,
        only=HEALTH,
    ),
    default_limit=settings.REQUEST_BODY_MAX_BYTES,
    routes=[
        BodyRoute("PUT", re.compile(r"^/api/v1/upload/blob/(?P<token>[^/]+)$"), blob_body_limit)
    ],
)

application = ProtocolTypeRouter(
    {
        "http": http_application,
        "websocket": websocket_origin_validator(URLRouter(websocket_urlpatterns)),
    }
)
