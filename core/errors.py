"""One error shape on the wire.

Domain code raises :class:`ApplicationError` subclasses carrying a stable ``code``; the
exception handler below turns them, and every DRF exception, into the drf-standardized-errors
body of docs/api.md: ``{"type", "errors": [{"code", "detail", "attr"}]}``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.deprecation import MiddlewareMixin
from djangorestframework_camel_case.util import camelize_re, underscore_to_camel
from drf_standardized_errors.formatter import ExceptionFormatter
from drf_standardized_errors.handler import ExceptionHandler
from drf_standardized_errors.types import ErrorResponse
from psycopg_pool import PoolTimeout
from rest_framework import exceptions, serializers, status

logger = logging.getLogger(__name__)

# Every ``code`` the services raise (typed errors below, serializer ``ValidationError``s): the
# OpenAPI error enums include them all (``core.openapi``), and
# tests/schema/test_error_codes.py fails when a raise site uses a code missing here.
ERROR_CODES: frozenset[str] = frozenset(
    {
        "already_connected",
        "already_uploaded",
        "asset_empty",
        "asset_unavailable",
        "bad_response",
        "billing_not_configured",
        "billing_unavailable",
        "channel_not_active",
        "conflict",
        "email_taken",
        "error",
        "google_project_in_use",
        "google_project_unusable",
        "grant_revoked",
        "idempotency_key_reused",
        "invalid",
        "invalid_asset_url",
        "invalid_credentials",
        "invalid_event",
        "invalid_grant",
        "invalid_signature",
        "invalid_token",
        "invalid_webhook_url",
        "job_not_cancelable",
        "job_not_retryable",
        "max_length",
        "media_missing",
        "media_unreadable",
        "no_channel",
        "no_refresh_token",
        "not_authenticated",
        "not_found",
        "oauth_error",
        "permission_denied",
        "plan_feature_unavailable",
        "plan_limit_reached",
        "platform_mismatch",
        "provider_not_configured",
        "provider_unavailable",
        "replay_failed",
        "request_too_large",
        "scope_not_granted",
        "service_unavailable",
        "show_missing",
        "storage_full",
        "storage_limit_reached",
        "throttled",
        "unique",
        "unsupported_media_type",
        "upload_limit_exceeded",
        "upload_unsupported",
        "webhook_limit_reached",
    }
)


class ApplicationError(Exception):
    """A refusal the client should see, with a stable machine-readable ``code``."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    default_code: str = "invalid"

    def __init__(self, message: str, *, code: str | None = None, attr: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.attr = attr


class InvalidInput(ApplicationError):
    """Input that fails a business rule; reported as a validation error on ``attr``."""


class NotAuthenticated(ApplicationError):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "not_authenticated"


class Forbidden(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "permission_denied"


class NotFound(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"


class Conflict(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class ServiceUnavailable(ApplicationError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "service_unavailable"


class DatabaseBusy(ServiceUnavailable):
    """No database connection came free within ``DB_POOL_TIMEOUT``: a fast 503, not a 500."""

    retry_after = 1

    def __init__(self) -> None:
        super().__init__("The service is busy; retry in a moment.")


def pool_exhausted(exc: BaseException) -> bool:
    """Whether ``exc`` is psycopg's pool timeout (Django wraps it in ``OperationalError``)."""
    return isinstance(exc, PoolTimeout) or isinstance(exc.__cause__, PoolTimeout)


class ApplicationAPIException(exceptions.APIException):
    """A deliberate answer (e.g. a 503 ``provider_not_configured``), not a crash to report."""


def to_api_exception(error: ApplicationError) -> exceptions.APIException:
    """Translate an application error into the DRF exception the formatter understands."""
    if isinstance(error, InvalidInput):
        detail = exceptions.ErrorDetail(error.message, code=error.code)
        return exceptions.ValidationError({error.attr: [detail]} if error.attr else [detail])
    exc = ApplicationAPIException(detail=error.message, code=error.code)
    exc.status_code = error.status_code
    return exc


class GatewayExceptionHandler(ExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, ApplicationError):
            return to_api_exception(exc)
        if pool_exhausted(exc):
            logger.warning("database pool exhausted: no connection free within DB_POOL_TIMEOUT")
            busy = to_api_exception(DatabaseBusy())
            busy.wait = DatabaseBusy.retry_after  # type: ignore[attr-defined]  # Retry-After
            return busy
        if isinstance(exc, DjangoValidationError):
            # Services validate with Django's validators (e.g. passwords): keep field and codes.
            return exceptions.ValidationError(serializers.as_serializer_error(exc))
        return super().convert_known_exceptions(exc)

    def report_exception(self, exc: exceptions.APIException, response: Any) -> None:
        if isinstance(exc, ApplicationAPIException):
            return
        super().report_exception(exc, response)


class CamelCaseExceptionFormatter(ExceptionFormatter):
    """Report ``attr`` in camelCase, the same spelling the client sent."""

    def format_error_response(self, error_response: ErrorResponse) -> Any:
        for error in error_response.errors:
            if error.attr:
                error.attr = camelize_re.sub(underscore_to_camel, error.attr)
        return super().format_error_response(error_response)


def error_body(*, code: str, detail: str, status_code: int, attr: str | None = None) -> dict:
    """The wire body for an error raised outside DRF (Django's 404/500 handlers, health)."""
    error_type = "client_error" if 400 <= status_code < 500 else "server_error"
    return {"type": error_type, "errors": [{"code": code, "detail": detail, "attr": attr}]}


class DatabaseBusyMiddleware(MiddlewareMixin):
    """The same 503 for views outside DRF (health, the upload PUT)."""

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not pool_exhausted(exc):
            return None
        logger.warning("database pool exhausted: no connection free within DB_POOL_TIMEOUT")
        error = DatabaseBusy()
        body = error_body(code=error.code, detail=error.message, status_code=error.status_code)
        response = JsonResponse(body, status=error.status_code)
        response["Retry-After"] = str(error.retry_after)
        return response
