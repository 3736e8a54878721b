"""The default throttle of every API view: ``requests_per_minute`` of the user's plan."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rest_framework.request import Request

from billing.selectors import plan_of
from core.throttles import WindowThrottle
from gateway.env import Rate

if TYPE_CHECKING:
    from accounts.models import User


class PlanRateThrottle(WindowThrottle):
    """``requests_per_minute`` of the user's plan; anonymous requests pass (their endpoints
    carry their own limits).

    The plan comes with the user (``accounts.authentication`` selects it in the same query),
    so the check costs no query; only a user without a plan asks for the free one.
    """

    scope = "plan"
    on_cache_error = "allow"  # a Redis outage must not lock users out of the API

    def limit_for(self, request: Request) -> tuple[Rate, str] | None:
        user = request.user
        if user is None or not user.is_authenticated:
            return None
        plan = plan_of(cast("User", user))
        return Rate(limit=plan.requests_per_minute, period=60), str(user.pk)
