"""Errors of the channel services that the API maps to answers."""

from __future__ import annotations

from core.errors import Forbidden, NotFound, ServiceUnavailable
from providers.base import Provider
from providers.errors import PermanentProviderError


class ProviderUnavailable(ServiceUnavailable):
    """The platform did not answer (timeout, 5xx, 429): worth trying again later."""

    default_code = "provider_unavailable"


def provider_not_configured(provider: Provider) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"{provider.name} is not configured on this server.", code="provider_not_configured"
    )


class GoogleProjectUnusable(PermanentProviderError):
    """The creator's own Google project's client secret no longer opens (tampered, or sealed
    with a key no longer configured): nothing can act as that client until it is entered
    again. Raised as a platform refusal so a refresh marks the channel ERROR and an upload
    fails with this reason."""

    def __init__(self, project_name: str):
        super().__init__(
            f"The client secret of your Google project {project_name!r} cannot be read; "
            "enter it again.",
            code="google_project_unusable",
        )


def own_google_projects_not_in_plan() -> Forbidden:
    return Forbidden(
        "Connecting through your own Google project needs the Agency plan.",
        code="plan_feature_unavailable",
    )


def google_project_not_found() -> NotFound:
    return NotFound("No such Google project.", code="not_found")
