"""Stripe objects, webhook events and plan usage are in the Django admin."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory


@pytest.mark.parametrize(
    "path",
    [
        "/admin/djstripe/customer/",
        "/admin/djstripe/subscription/",
        "/admin/djstripe/price/",
        "/admin/djstripe/event/",
        "/admin/djstripe/webhookeventtrigger/",
        "/admin/billing/planusage/",
        "/admin/billing/plan/",
    ],
)
def test_an_operator_sees_billing_in_the_admin(client, plans, path):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    assert client.get(path).status_code == 200
