"""Reads of the webhooks app, scoped to the requesting user."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from accounts.models import User
from core.errors import NotFound
from webhooks.models import WebhookDelivery, WebhookEndpoint


def endpoint_list(*, user: User) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(owner=user).order_by("-created_at")


def endpoint_get(*, user: User, endpoint_id: UUID) -> WebhookEndpoint:
    """The user's endpoint; another user's is 404 like a missing one."""
    endpoint = WebhookEndpoint.objects.filter(owner=user, id=endpoint_id).first()
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


def delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's delivery log, newest first (the caller checked ownership)."""
    return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-sequence")
