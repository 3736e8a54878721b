"""A local fake of the Stripe API, answering from recorded JSON objects (``stripe_fixtures.json``).

The real ``stripe`` library and dj-stripe talk to it through ``stripe.api_base``. It keeps the
objects it was given or created and answers what Stripe would:

- ``GET /v1/account``; ``GET /v1/{customers,subscriptions,prices,products,checkout/sessions}/ID``
  (404 ``resource_missing`` for an unknown id), and an empty page for other lists;
- ``POST /v1/customers`` (the ``Idempotency-Key`` header returns the first customer again),
  ``POST /v1/checkout/sessions``, ``POST /v1/billing_portal/sessions``.

:func:`signed` signs an event body exactly as Stripe does (``Stripe-Signature: t=...,v1=...``).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe
from django.test import override_settings

from tests.fakes.http import FakeHTTPServer, FakeRequest, FakeResponse

FIXTURES: dict[str, Any] = json.loads(
    (Path(__file__).with_name("stripe_fixtures.json")).read_text()
)
# Shaped like a real key: dj-stripe refuses keys that are not ``sk_test_`` + 24 or more.
SECRET_KEY = "sk_test_51GatewayFakeKey0000000000000000"
WEBHOOK_SECRET = "whsec_gateway_fake_signing_secret_0001"
PRICE_PRO = "price_1GatewayProMonthly0001"
PRICE_AGENCY = "price_1GatewayAgencyMonthly01"

_RETRIEVABLE = re.compile(
    r"^/v1/(?P<kind>customers|subscriptions|prices|products|checkout/sessions)/(?P<id>[^/]+)$"
)


def _form(request: FakeRequest) -> dict[str, str]:
    """Stripe's form encoding flattened: ``metadata[key]`` and ``line_items[0][price]`` keys."""
    return request.form()


def _metadata(form: dict[str, str]) -> dict[str, str]:
    return {
        key[len("metadata[") : -1]: value
        for key, value in form.items()
        if key.startswith("metadata[") and key.endswith("]")
    }


class FakeStripe(FakeHTTPServer):
    def __init__(self) -> None:
        super().__init__()
        self.objects: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._idempotent: dict[str, dict[str, Any]] = {}
        for obj in FIXTURES["products"] + FIXTURES["prices"]:
            self.put(copy.deepcopy(obj))
        self.route("GET", "/v1/account", lambda request: FakeResponse(200, FIXTURES["account"]))
        self.route("GET", "/v1/", self.handle_get, prefix=True)
        self.route("POST", "/v1/customers", self.handle_customer_create)
        self.route("POST", "/v1/checkout/sessions", self.handle_checkout_create)
        self.route("POST", "/v1/billing_portal/sessions", self.handle_portal_create)

    # --- state the tests arrange ------------------------------------------------------------
    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.objects[obj["id"]] = obj
        return obj

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_GwFake{next(self._ids):012d}"

    def subscription(
        self, *, customer: str, price: str, status: str = "active", sub_id: str | None = None
    ) -> dict[str, Any]:
        """Store (or replace) a subscription of ``customer`` to ``price``, as Stripe holds it."""
        sub = copy.deepcopy(FIXTURES["subscription"])
        sub["id"] = sub_id or self.new_id("sub")
        sub["customer"] = customer
        sub["status"] = status
        item = sub["items"]["data"][0]
        item["id"] = self.new_id("si")
        item["subscription"] = sub["id"]
        item["price"] = copy.deepcopy(self.objects[price])
        sub["items"]["url"] = f"/v1/subscription_items?subscription={sub['id']}"
        if status == "canceled":
            sub["canceled_at"] = sub["ended_at"] = int(time.time())
        return self.put(sub)

    def completed_checkout(self, *, customer: str, subscription: str) -> dict[str, Any]:
        session = copy.deepcopy(FIXTURES["checkout_session"])
        session.update(
            id=self.new_id("cs_test"),
            customer=customer,
            subscription=subscription,
            status="complete",
            payment_status="paid",
            url=None,
        )
        return self.put(session)

    def created(self, path: str) -> list[FakeRequest]:
        return self.requests_to(path, method="POST")

    # --- handlers ---------------------------------------------------------------------------
    def handle_get(self, request: FakeRequest) -> FakeResponse:
        match = _RETRIEVABLE.match(request.path)
        if match is None:
            return FakeResponse(
                200, {"object": "list", "data": [], "has_more": False, "url": request.path}
            )
        with self.lock:
            obj = self.objects.get(match["id"])
        if obj is None:
            return FakeResponse(
                404,
                {
                    "error": {
                        "type": "invalid_request_error",
                        "code": "resource_missing",
                        "param": "id",
                        "message": f"No such object: '{match['id']}'",
                    }
                },
            )
        return FakeResponse(200, copy.deepcopy(obj))

    def handle_customer_create(self, request: FakeRequest) -> FakeResponse:
        key = request.header("idempotency-key")
        with self.lock:
            if key and key in self._idempotent:
                return FakeResponse(200, copy.deepcopy(self._idempotent[key]))
            form = _form(request)
            customer = copy.deepcopy(FIXTURES["customer"])
            customer.update(
                id=self.new_id("cus"),
                email=form.get("email"),
                name=form.get("name") or None,
                metadata=_metadata(form),
                created=int(time.time()),
            )
            self.put(customer)
            if key:
                self._idempotent[key] = customer
        return FakeResponse(200, copy.deepcopy(customer))

    def handle_checkout_create(self, request: FakeRequest) -> FakeResponse:
        form = _form(request)
        session = copy.deepcopy(FIXTURES["checkout_session"])
        session_id = self.new_id("cs_test")
        session.update(
            id=session_id,
            customer=form.get("customer"),
            mode=form.get("mode"),
            client_reference_id=form.get("client_reference_id"),
            success_url=form.get("success_url"),
            cancel_url=form.get("cancel_url"),
            url=f"https://checkout.stripe.com/c/pay/{session_id}",
            created=int(time.time()),
        )
        return FakeResponse(200, self.put(session))

    def handle_portal_create(self, request: FakeRequest) -> FakeResponse:
        form = _form(request)
        session = copy.deepcopy(FIXTURES["portal_session"])
        session_id = self.new_id("bps")
        session.update(
            id=session_id,
            customer=form.get("customer"),
            return_url=form.get("return_url"),
            url=f"https://billing.stripe.com/p/session/test_{session_id}",
        )
        return FakeResponse(200, self.put(session))


def event_body(event_type: str, obj: dict[str, Any], *, created: int | None = None) -> bytes:
    """A Stripe event of ``event_type`` about ``obj``, as Stripe posts it."""
    digest = hashlib.sha256(json.dumps([event_type, obj, created]).encode()).hexdigest()
    event = {
        "id": f"evt_{digest[:24]}",
        "object": "event",
        "api_version": "2026-05-27.dahlia",
        "created": created or int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
    return json.dumps(event).encode()


def signed(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe sends: ``t=<unix time>,v1=<HMAC-SHA256 hex>``
    of ``"{t}.{payload}"`` under the endpoint's signing secret."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


@pytest.fixture
def fake_stripe(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    """A started fake Stripe, with Gateway's Stripe settings pointing at it."""
    fake = FakeStripe().start()
    monkeypatch.setattr(stripe, "api_base", fake.base_url)
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    with override_settings(
        STRIPE_SECRET_KEY=SECRET_KEY,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_PRICE_PRO=PRICE_PRO,
        STRIPE_PRICE_AGENCY=PRICE_AGENCY,
        STRIPE_API_BASE=fake.base_url,
    ):
        yield fake
    fake.stop()
