"""How Gateway talks to Stripe: the configured key, endpoint and price ids.

dj-stripe and our own calls share the ``stripe`` library's module-level settings, set once in
:func:`stripe_configure`; the key is passed on every call (``api_key=``) so a changed setting
(as in tests) is honoured.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import stripe
from django.conf import settings

from core.errors import ServiceUnavailable


def stripe_configure() -> None:
    """Point the stripe library at ``STRIPE_API_BASE`` with a bounded timeout (at start-up)."""
    stripe.api_base = settings.STRIPE_API_BASE
    stripe.default_http_client = stripe.RequestsClient(timeout=settings.STRIPE_HTTP_TIMEOUT)


def stripe_api_key() -> str:
    """The secret key; raises 503 ``billing_not_configured`` when billing is not set up."""
    if not settings.STRIPE_SECRET_KEY:
        raise ServiceUnavailable(
            "Billing is not configured on this server.", code="billing_not_configured"
        )
    return settings.STRIPE_SECRET_KEY


def price_ids_by_plan() -> dict[str, str]:
    """Plan code -> Stripe price id, for the paid plans whose price is configured."""
    prices = {"pro": settings.STRIPE_PRICE_PRO, "agency": settings.STRIPE_PRICE_AGENCY}
    return {code: price for code, price in prices.items() if price}


def plan_code_for_price(price_id: str) -> str | None:
    """The plan a Stripe price buys, or ``None`` for a price Gateway does not sell."""
    for code, price in price_ids_by_plan().items():
        if price == price_id:
            return code
    return None


@contextmanager
def stripe_unavailable_as_503() -> Iterator[None]:
    """Turn a failed call to Stripe into a 503 ``billing_unavailable`` (never a 500)."""
    try:
        yield
    except stripe.StripeError as exc:
        raise ServiceUnavailable(
            "Stripe could not be reached; try again shortly.", code="billing_unavailable"
        ) from exc
