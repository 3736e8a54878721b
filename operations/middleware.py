"""Security headers of the admin's pages."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

# The admin needs nothing from another origin: its scripts, styles and images are ours
# (the stats chart is inline SVG). Django's change list writes an inline <style> block when a
# list has no actions (what viewers see), hence 'unsafe-inline' for styles only; scripts stay
# strictly 'self' (Django's admin has no inline script).
ADMIN_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


class AdminSecurityHeadersMiddleware:
    """A Content-Security-Policy on every ``/admin/`` response (framing is already refused
    everywhere by ``X_FRAME_OPTIONS = "DENY"``). The API serves JSON and keeps no policy;
    Swagger UI at ``/api/docs`` loads its own assets and is left alone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.path.startswith("/admin/"):
            response.setdefault("Content-Security-Policy", ADMIN_CSP)
        return response
