"""Logging filters that keep secrets out of log lines."""

from __future__ import annotations

import logging


class RequestPathOnly(logging.Filter):
    """Django attaches the request object to its log records (``django.request``), and its text
    form includes the query string, which can carry OAuth codes or tokens: keep the path only."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is not None and not isinstance(request, str):
            record.request = getattr(request, "path", "")
        return True
