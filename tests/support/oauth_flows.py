"""Steps of the OAuth flows as a browser and the frontend go through them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from rest_framework.test import APIClient

from tests.providers.youtube.fake_google import FakeGoogle


def frontend_query(response) -> dict[str, str]:
    """The query of a callback's redirect to the frontend, as a flat dict."""
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        "http://localhost:3000/channels"
    )
    return {key: values[0] for key, values in parse_qs(location.query).items()}


def follow_to_gateway(client: APIClient, redirect_url: str):
    """Follow the platform's redirect back to our callback, as the browser would."""
    parts = urlsplit(redirect_url)
    return client.get(f"{parts.path}?{parts.query}")


def start_oauth(client: APIClient, platform: str = "youtube", **fields: str) -> dict:
    """Start a connect (``fields``: more of the body, e.g. ``googleProjectId``)."""
    body = {"platform": platform, **fields}
    response = client.post("/api/v1/channels/connect", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def finish_oauth(client: APIClient, callback_response):
    """Finish the flow the callback's redirect names, as the frontend would with ``client``."""
    flow = frontend_query(callback_response)["oauthFlow"]
    return client.post("/api/v1/channels/connect/complete", {"flow": flow}, format="json")


def consent_youtube(client: APIClient, fake: FakeGoogle, *, account: str, **fields: str):
    """Start a connect and approve it as ``account``; returns the callback response."""
    start = start_oauth(client, **fields)
    return follow_to_gateway(client, fake.consent(start["authorizationUrl"], account=account))


def connect_youtube(client: APIClient, fake: FakeGoogle, *, account: str, **fields: str):
    """Run the whole flow for ``account`` and finish it; returns the finish response."""
    return finish_oauth(client, consent_youtube(client, fake, account=account, **fields))
