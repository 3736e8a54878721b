"""/api/v1/webhooks: https-only endpoints of one's own, a secret shown once, a delivery log."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import MAX_ENDPOINTS_PER_USER, endpoint_create


@pytest.fixture
def public_dns(dns) -> dict[str, str]:
    dns["hooks.example.com"] = "93.184.216.34"
    return dns


def add_deliveries(endpoint: WebhookEndpoint, count: int) -> None:
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            event_type="job:update",
            job_id="00000000-0000-0000-0000-000000000001",
            sequence=n + 1,
            payload={"type": "job:update"},
            message_id=f"msg_{endpoint.id.hex}{n}",
        )
        for n in range(count)
    )


def test_adding_an_endpoint_shows_its_secret_once(user, auth_client, public_dns):
    client = auth_client

    created = client.post(
        "/api/v1/webhooks",
        {"url": "https://hooks.example.com/in", "description": "CI"},
        format="json",
    )
    listed = client.get("/api/v1/webhooks")

    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"id", "url", "description", "enabled", "createdAt", "disabledAt", "secret"}
    assert body["secret"].startswith("whsec_")
    assert (body["url"], body["description"], body["enabled"]) == (
        "https://hooks.example.com/in",
        "CI",
        True,
    )
    assert listed.status_code == 200
    assert listed.json() == [{k: v for k, v in body.items() if k != "secret"}]
    stored = WebhookEndpoint.objects.get()
    assert body["secret"] not in stored.secret_encrypted


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/in",
        "https://127.0.0.1/in",
        "https://localhost/in",
        "https://10.1.2.3/in",
        "https://[::1]/in",
        "https://169.254.169.254/latest",
        "ftp://hooks.example.com/in",
        "not a url",
    ],
)
def test_a_webhook_url_follows_the_asset_url_rules(user, auth_client, public_dns, url):
    response = auth_client.post("/api/v1/webhooks", {"url": url}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_webhook_url"
    assert response.json()["errors"][0]["attr"] == "url"
    assert WebhookEndpoint.objects.count() == 0


def test_the_number_of_endpoints_is_limited(user, auth_client, public_dns):
    for _ in range(MAX_ENDPOINTS_PER_USER):
        endpoint_create(owner=user, url="https://hooks.example.com/in")

    response = auth_client.post(
        "/api/v1/webhooks", {"url": "https://hooks.example.com/x"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "webhook_limit_reached"
    assert WebhookEndpoint.objects.count() == MAX_ENDPOINTS_PER_USER


def test_another_users_endpoint_is_not_found(user, auth_client, public_dns):
    theirs = endpoint_create(owner=UserFactory(), url="https://hooks.example.com/in").endpoint
    client = auth_client

    deleted = client.delete(f"/api/v1/webhooks/{theirs.id}")
    log = client.get(f"/api/v1/webhooks/{theirs.id}/deliveries")
    listed = client.get("/api/v1/webhooks")

    assert deleted.status_code == 404
    assert log.status_code == 404
    assert deleted.json()["errors"][0]["code"] == "not_found"
    assert listed.json() == []
    assert WebhookEndpoint.objects.filter(id=theirs.id).exists()


def test_deleting_an_endpoint_removes_it_and_its_log(user, auth_client, public_dns):
    endpoint = endpoint_create(owner=user, url="https://hooks.example.com/in").endpoint
    add_deliveries(endpoint, 2)

    response = auth_client.delete(f"/api/v1/webhooks/{endpoint.id}")

    assert response.status_code == 204
    assert WebhookEndpoint.objects.count() == 0
    assert WebhookDelivery.objects.count() == 0


def test_the_delivery_log_is_paginated_at_a_fixed_query_count(
    user, auth_client, public_dns, django_assert_max_num_queries
):
    endpoint = endpoint_create(owner=user, url="https://hooks.example.com/in").endpoint
    add_deliveries(endpoint, 25)
    client = auth_client

    with django_assert_max_num_queries(3):
        first = client.get(f"/api/v1/webhooks/{endpoint.id}/deliveries").json()
    second = client.get(f"/api/v1/webhooks/{endpoint.id}/deliveries", {"page": 2}).json()

    assert first["count"] == 25
    assert len(first["results"]) == 20
    assert first["previous"] is None
    assert first["next"].endswith("page=2")
    assert len(second["results"]) == 5
    assert set(first["results"][0]) == {
        "id",
        "eventType",
        "jobId",
        "attempts",
        "lastStatus",
        "deliveredAt",
        "nextAttemptAt",
    }


def test_the_endpoint_list_costs_a_fixed_number_of_queries(
    user, auth_client, public_dns, django_assert_max_num_queries
):
    for _ in range(5):
        endpoint_create(owner=user, url="https://hooks.example.com/in")

    with django_assert_max_num_queries(1):
        response = auth_client.get("/api/v1/webhooks")

    assert len(response.json()) == 5


def test_the_schema_describes_the_webhook_endpoints(api_client, db):
    schema = api_client.get("/api/schema", {"format": "json"}).json()

    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/webhooks"])
    assert set(paths["/api/v1/webhooks/{endpoint_id}"]) == {"delete"}
    components = schema["components"]["schemas"]
    assert "secret" in components["CreatedEndpoint"]["properties"]
    page = components["DeliveryPage"]["properties"]
    assert set(page) == {"count", "next", "previous", "results"}
