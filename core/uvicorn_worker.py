"""The gunicorn worker class of every start command (``scripts/serve``).

uvicorn hands request bodies to the application as they arrive (daphne spools them to a
temporary file first), so ``core.asgi_limits`` can refuse an oversized body early.

Proxy headers are off: uvicorn would otherwise copy the leftmost ``X-Forwarded-For`` entry of
any request from a trusted peer (loopback by default) into the client address, which a client
can forge. The application counts ``TRUSTED_PROXY_COUNT`` hops from the right instead
(``core.throttles.client_ident``). Django has no lifespan support, so that is off too.
"""

from __future__ import annotations

from typing import Any

from uvicorn_worker import UvicornWorker


class GatewayUvicornWorker(UvicornWorker):
    CONFIG_KWARGS: dict[str, Any] = {
        "loop": "auto",
        "http": "auto",
        "proxy_headers": False,
        "lifespan": "off",
        "server_header": False,
    }
