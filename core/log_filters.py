"""Keeping secrets out of log lines."""

from __future__ import annotations

import logging
import re

# Paths whose last segment is a credential: the signed PUT of embedded storage.
_CREDENTIAL_PATHS = re.compile(r"^(/api/v1/upload/blob/)[^/]+")


def loggable_path(path: str) -> str:
    """``path`` with any credential it carries replaced by ``<redacted>``."""
    return _CREDENTIAL_PATHS.sub(r"\1<redacted>", path)


class RequestPathOnly(logging.Filter):
    """Django's request log records (``django.request``: "Not Found: /path") carry the path in
    their message and the request object, whose text form includes the query string (OAuth
    codes, tokens): keep the path only, redacted like every path we log."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is not None and not isinstance(request, str):
            record.request = loggable_path(getattr(request, "path", ""))
            if isinstance(record.args, tuple):
                record.args = tuple(
                    loggable_path(arg) if isinstance(arg, str) else arg for arg in record.args
                )
        return True


class ReadableFormatter(logging.Formatter):
    """``LOG_FORMAT=text``: one line a record for a person at a terminal, with the request id
    in brackets when the record was logged while serving a request."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s%(request_tag)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "correlation_id", None)
        record.request_tag = f" [{request_id}]" if request_id else ""
        return super().format(record)
