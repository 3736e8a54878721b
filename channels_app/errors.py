"""Errors of the channel services that the API maps to answers."""

from __future__ import annotations

from core.errors import ServiceUnavailable
from providers.base import Provider


class ProviderUnavailable(ServiceUnavailable):
    """The platform did not answer (timeout, 5xx, 429): worth trying again later."""

    default_code = "provider_unavailable"


def provider_not_configured(provider: Provider) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"{provider.name} is not configured on this server.", code="provider_not_configured"
    )
