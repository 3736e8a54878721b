"""Page-number pagination whose page query also counts the rows (one round trip, not two)."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page
from django.db.models import Count, QuerySet, Window
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination as BasePageNumberPagination
from rest_framework.request import Request
from rest_framework.views import APIView

_TOTAL = "page_total_rows"


class PageNumberPagination(BasePageNumberPagination):
    """``?page=N`` (and ``?pageSize=``, at most 100): ``{count, next, previous, results}``.

    A queryset is paged with one query: its rows (models, or dicts of a ``values()`` queryset)
    carry ``COUNT(*) OVER ()``, the number of rows of the whole list. An empty page needs no
    count: it is page 1 of an empty list, or a page past the end (404, as DRF answers).
    ``?page=last`` and plain lists take DRF's way.
    """

    page_size = 20
    page_size_query_param = "pageSize"
    max_page_size = 100

    def paginate_queryset(
        self, queryset: Any, request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        page_size = self.get_page_size(request)
        raw = request.query_params.get(self.page_query_param) or "1"
        if not isinstance(queryset, QuerySet) or not page_size or raw in self.last_page_strings:
            return super().paginate_queryset(queryset, request, view)
        number = int(raw) if raw.isdigit() else 0
        if number < 1:
            raise NotFound(self.invalid_page_message.format(page_number=raw, message="Invalid."))
        offset = (number - 1) * page_size
        rows = list(queryset.annotate(**{_TOTAL: Window(Count("*"))})[offset : offset + page_size])
        if not rows and number > 1:
            raise NotFound(
                self.invalid_page_message.format(page_number=raw, message="That page is empty.")
            )
        paginator = self.django_paginator_class(queryset, page_size)
        paginator.count = _total(rows[0]) if rows else 0  # type: ignore[misc]
        self.page = Page(rows, number, paginator)
        self.request = request
        if paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True
        return rows


def _total(row: Any) -> int:
    return int(row[_TOTAL] if isinstance(row, dict) else getattr(row, _TOTAL))
