"""Conventions every ModelAdmin of the operator panel follows (README "Operator panel").

- ``GatewayModelAdmin`` is the base: lists name their related rows in ``list_select_related``
  and annotate counts in ``get_queryset``, so a list page costs the same few queries at any
  size (tests/admin/test_changelists.py measures each one).
- ``ReadOnlyAdminMixin`` for rows only services write (counters, tokens, logs): viewable by
  anyone with the view permission, never added, changed or deleted by hand.
- Every action declares the permission it needs (``@admin.action(permissions=[...])``) and
  runs the same service as the API through ``apply_per_object``, which reports successes and
  per-object refusals as admin messages and records each success in the admin log. Django
  shows an action only to operators holding its permission, so the "Viewers" group (view
  permissions only) sees no action at all (tests/admin/test_actions.py walks every action).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html

from core.errors import ApplicationError

M = TypeVar("M", bound=Model)


class GatewayModelAdmin(admin.ModelAdmin):
    """Base of every operator-panel ModelAdmin."""

    list_per_page = 100
    # The "N of M" figure under a filtered list is one more COUNT over the whole table.
    show_full_result_count = False


class ReadOnlyAdminMixin:
    """Rows that only services write: shown to every operator, edited by none."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ChangedThroughActionsMixin:
    """Rows whose every field is read-only and that change only through actions (jobs,
    channels): their page offers no "Save" buttons that could do nothing."""

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False}
        return super().change_view(request, object_id, form_url, context)  # type: ignore[misc]


def apply_per_object(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    objects: Iterable[M],
    call: Callable[[M], object],
    *,
    done: str,
    log_message: str,
    action_flag: int = CHANGE,
) -> int:
    """Run ``call`` (a service) on each object; returns how many it succeeded on.

    A refusal (an ``ApplicationError``, the same the API answers with) is reported for its
    object and the others go on. Each success is written to the admin log with
    ``log_message``; ``done`` is the success message, formatted with ``count``.
    """
    succeeded = 0
    for obj in objects:
        try:
            call(obj)
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", messages.WARNING)
            continue
        LogEntry.objects.log_actions(  # type: ignore[call-overload]  # pk: the admin needs a login
            user_id=request.user.pk,
            queryset=[obj],
            action_flag=action_flag,
            change_message=log_message,
            single_object=True,
        )
        succeeded += 1
    if succeeded:
        modeladmin.message_user(request, done.format(count=succeeded), messages.SUCCESS)
    return succeeded


def pretty_json(value: object) -> str:
    """A JSON field (a job's error or result, a channel's figures) readable on a detail page."""
    if value in (None, "", {}, []):
        return "-"
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True))


def change_link(admin_name: str, pk: object, text: object) -> str:
    """A link to a row's admin page; ``admin_name`` is ``<app_label>_<model_name>``."""
    url = reverse(f"admin:{admin_name}_change", args=[pk])
    return format_html('<a href="{}">{}</a>', url, text)


class OwnerColumnMixin:
    """An "owner" column and field linking to the row's user; list it in
    ``list_select_related`` so the column costs no query per row."""

    @admin.display(description="User", ordering="user__email")
    def owner(self, obj: Any) -> str:
        return change_link("accounts_user", obj.user_id, obj.user.email)
