"""The ``before_call`` a channel's platform calls go through: charge the project's ledger first.

The provider names the method it is about to call; its declared cost (``Provider.api_costs``)
is charged to the ledger of the channel's project (``channels_app.quota``), and an upload also
to the creator's daily share of the shared project. A spent budget or share stops the call with
``QuotaExhaustedError`` until the reset, which callers treat as "wait".
"""

from __future__ import annotations

from channels_app.models import Channel
from channels_app.quota import channel_quota_budget, channel_quota_key, channel_quota_share
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
        # Only uploads have a share: the plan is read when one is about to be charged.
        share = channel_quota_share(channel) if cost.uploads else None
        try:
            quota_charge(
                project_key=project_key,
                uploads=cost.uploads,
                units=cost.units,
                budget=budget,
                share=share,
            )
        except QuotaSpent as exc:
            message = (
                f"Your daily share of this server's {provider.name} uploads is spent."
                if exc.share
                else f"{provider.name}'s daily quota for this project is spent."
            )
            raise QuotaExhaustedError(message, until=exc.until) from exc

    return before_call
