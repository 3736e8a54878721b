"""Operational plumbing: request ids in JSON logs, CORS for the frontend, Sentry from the DSN."""

import io
import json
import logging
import uuid
from collections.abc import Iterator

import pytest

from tests.support.processes import run_python

pytestmark = pytest.mark.django_db


@pytest.fixture
def console_log() -> Iterator[io.StringIO]:
    """What the configured console handler writes, captured from its stream."""
    handler = next(h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler)
    buffer = io.StringIO()
    original = handler.setStream(buffer)
    yield buffer
    handler.setStream(original)


def test_log_lines_are_json_carrying_the_request_id(client, console_log):
    request_id = uuid.uuid4().hex

    response = client.get("/no/such/page?code=secret-code", HTTP_X_REQUEST_ID=request_id)

    assert response["X-Request-ID"] == request_id
    lines = [json.loads(line) for line in console_log.getvalue().splitlines()]
    not_found = [line for line in lines if line["message"] == "Not Found: /no/such/page"]
    assert not_found
    assert not_found[0]["requestId"] == request_id
    assert not_found[0]["level"] == "WARNING"
    assert not_found[0]["request"] == "/no/such/page"
    assert "secret-code" not in console_log.getvalue()


def test_every_request_gets_one_json_access_line_without_the_query_string(
    client, console_log, caplog
):
    caplog.set_level(logging.INFO, logger="gateway.access")  # the suite logs at WARNING

    response = client.get("/health?token=secret-value")

    lines = [json.loads(line) for line in console_log.getvalue().splitlines()]
    (access,) = [line for line in lines if line["name"] == "gateway.access"]
    assert access["message"] == "GET /health 200"
    assert access["path"] == "/health"
    assert access["status"] == 200
    assert access["durationMs"] >= 0
    assert access["requestId"] == response["X-Request-ID"]
    assert "secret-value" not in console_log.getvalue()


def test_cors_allows_the_frontend_origin_only(client, settings):
    allowed = client.options(
        "/health",
        HTTP_ORIGIN=settings.FRONTEND_BASE_URL,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    refused = client.options(
        "/health",
        HTTP_ORIGIN="https://evil.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )

    assert allowed["Access-Control-Allow-Origin"] == settings.FRONTEND_BASE_URL
    assert "Access-Control-Allow-Origin" not in refused


@pytest.mark.parametrize(("dsn", "active"), [("", False), ("http://key@127.0.0.1:9/1", True)])
def test_sentry_is_initialised_only_when_a_dsn_is_set(dsn, active):
    result = run_python(
        "import django, os, sentry_sdk;"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'gateway.settings');"
        "django.setup();"
        "print(sentry_sdk.get_client().is_active())",
        SENTRY_DSN=dsn,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(active)
