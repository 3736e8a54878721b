"""The first minutes of an operator: the ready line, readable or JSON logs, and the admin's
security headers."""

from __future__ import annotations

import json
import logging
import os
import pty
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils.module_loading import import_string

from tests.support.processes import ROOT, asgi_server, child_env, free_port, run_python

LOG_ONE_LINE = (
    "import django, logging; django.setup(); "
    "logging.getLogger('gateway.example').warning('hello %s', 'operator')"
)


def _announce(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "scripts/announce_ready.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_ready_line_names_the_api_the_docs_the_admin_and_the_first_operator_step():
    with asgi_server(DATABASE_URL="sqlite:///var/announce.sqlite3") as base_url:
        port = base_url.rsplit(":", 1)[1]
        result = _announce("--host", "0.0.0.0", "--port", port, "--timeout", "30")  # noqa: S104

    assert result.returncode == 0
    assert result.stdout == (
        f"Gateway is ready: API {base_url}/api/v1, docs {base_url}/api/docs, admin "
        f"{base_url}/admin/ (first operator account: .venv/bin/python manage.py createsuperuser)\n"
    )


def test_no_ready_line_while_nothing_answers():
    result = _announce("--port", str(free_port()), "--timeout", "1", "--interval", "0.2")

    assert (result.returncode, result.stdout) == (1, "")
    assert "did not answer" in result.stderr


def test_logs_are_json_lines_when_stderr_is_not_a_terminal():
    result = run_python(LOG_ONE_LINE, DJANGO_SETTINGS_MODULE="gateway.settings", LOG_LEVEL="INFO")

    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert (line["level"], line["name"], line["message"]) == (
        "WARNING",
        "gateway.example",
        "hello operator",
    )


def test_logs_are_readable_lines_on_a_terminal():
    parent, child = pty.openpty()
    try:
        process = subprocess.run(
            [sys.executable, "-c", LOG_ONE_LINE],
            cwd=ROOT,
            env=child_env(DJANGO_SETTINGS_MODULE="gateway.settings"),
            stderr=child,
            stdout=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )
        os.close(child)
        output = os.read(parent, 65536).decode()
    finally:
        os.close(parent)

    assert process.returncode == 0
    assert "WARNING gateway.example hello operator" in " ".join(output.split())
    assert "{" not in output


@pytest.mark.parametrize(("value", "expected"), [("json", '"message"'), ("text", " hello ")])
def test_log_format_can_be_chosen(value, expected):
    result = run_python(LOG_ONE_LINE, DJANGO_SETTINGS_MODULE="gateway.settings", LOG_FORMAT=value)

    assert expected in result.stderr


def test_an_unknown_log_format_stops_start_up_with_one_line():
    result = run_python(
        "import django; django.setup()", DJANGO_SETTINGS_MODULE="gateway.settings", LOG_FORMAT="xml"
    )

    assert result.returncode != 0
    assert "LOG_FORMAT must be json or text, not 'xml'." in result.stderr


def test_a_text_line_carries_the_request_id_of_the_request_it_was_logged_in():
    handler_format = settings.LOGGING["formatters"]["text"]["()"]
    formatter = import_string(handler_format)()
    record = logging.LogRecord("gateway.access", logging.INFO, "", 0, "GET /health 200", (), None)
    record.correlation_id = "4f1c0a"

    assert formatter.format(record).endswith(" INFO    gateway.access [4f1c0a] GET /health 200")


@pytest.mark.django_db
def test_admin_pages_send_a_content_security_policy_and_refuse_framing():
    client = Client()

    login = client.get("/admin/login/")
    api = client.get("/health")

    assert login["X-Frame-Options"] == "DENY"
    policy = login["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert "Content-Security-Policy" not in api


@pytest.mark.django_db
def test_the_first_operator_made_with_createsuperuser_signs_in_to_the_admin(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a first operator password")
    call_command("createsuperuser", interactive=False, email="Ops@Example.com", verbosity=0)
    client = Client()

    login = client.post(
        "/admin/login/?next=/admin/",
        {"username": "ops@example.com", "password": "a first operator password"},
    )

    assert (login.status_code, login["Location"]) == (302, "/admin/")
    index = client.get("/admin/")
    assert 'href="/admin/stats/"' in index.content.decode()
