"""The ``before_call`` a channel's platform calls go through: charge the project's ledger first.

The provider names the method it is about to call; its declared cost (``Provider.api_costs``)
is charged to the ledger of the channel's project (``channels_app.quota``). A spent budget
stops the call with ``QuotaExhaustedError`` until the reset, which callers treat as "wait".
"""

from __future__ import annotations

from channels_app.models import Channel
from channels_app.quota import channel_quota_budget, channel_quota_key
from providers.base import ApiCallCallback, Provider
from providers.errors import QuotaExhaustedError
from quotas.services import QuotaSpent, quota_charge


def channel_call_charger(*, channel: Channel, provider: Provider) -> ApiCallCallback:
    """A ``before_call`` that charges ``channel``'s project for each call of ``provider``."""
    project_key = channel_quota_key(channel)
    budget = channel_quota_budget(channel)

    def before_call(method: str) -> None:
        cost = provider.api_costs.get(method)
        if cost is None:
            return
        try:
            quota_charge(
                project_key=project_key, uploads=cost.uploads, units=cost.units, budget=budget
            )
        except QuotaSpent as exc:
            raise QuotaExhaustedError(
                f"{provider.name}'s daily quota for this project is spent.", until=exc.until
            ) from exc

    return before_call
