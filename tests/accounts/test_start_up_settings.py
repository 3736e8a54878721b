"""Start-up refuses mail settings that would leak reset links or lose them, and a refresh
token reuse grace longer than a minute."""

from __future__ import annotations

import pytest

from scripts.write_env import main as write_env
from tests.support.processes import run_python

PRINT_EMAIL_BACKEND = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway.settings")
from django.conf import settings
print(settings.EMAIL_BACKEND)
"""


def _start(**env: str | None):
    return run_python(PRINT_EMAIL_BACKEND, **{"EMAIL_URL": None, "GMAIL_USER": None, **env})


@pytest.mark.parametrize("email_url", [None, ""], ids=["unset", "empty"])
def test_production_start_up_refuses_a_missing_email_url(email_url):
    result = _start(EMAIL_URL=email_url)

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Gateway configuration error: EMAIL_URL must be set when DEBUG is off (see .env.example)."
    ]


@pytest.mark.parametrize("email_url", ["memorymail://", "dummymail://"])
def test_production_start_up_refuses_a_backend_that_drops_mail(email_url):
    result = _start(EMAIL_URL=email_url)

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Gateway configuration error: EMAIL_URL must not be memorymail:// or dummymail:// "
        "when DEBUG is off (see .env.example)."
    ]


@pytest.mark.parametrize(
    ("env", "backend"),
    [
        ({"EMAIL_URL": "smtp://user:pass@127.0.0.1:1025"}, "smtp"),
        ({"GMAIL_USER": "me@gmail.com", "GMAIL_APP_PASSWORD": "app-password"}, "smtp"),
        ({"EMAIL_URL": "consolemail://"}, "console"),  # said explicitly: a local choice
        ({"DEBUG": "true"}, "console"),  # development keeps the console default
    ],
    ids=["smtp", "gmail", "explicit-console", "debug"],
)
def test_configured_mail_starts(env, backend):
    result = _start(**env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"django.core.mail.backends.{backend}.EmailBackend"


def test_the_env_file_written_by_make_run_starts_with_console_mail(tmp_path):
    env_file = tmp_path / ".env"
    write_env(str(env_file))

    # Only the file speaks: none of its variables come from this process's environment.
    names = ("DEBUG", "JWT_SECRET", "ENCRYPTION_KEY", "DATABASE_URL", "SECURE_SSL_REDIRECT")
    result = _start(ENV_FILE=str(env_file), **dict.fromkeys(names))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.mail.backends.console.EmailBackend"
    assert "EMAIL_URL=consolemail://" in env_file.read_text().splitlines()


def test_start_up_refuses_a_reuse_grace_over_a_minute():
    assert _start(EMAIL_URL="consolemail://", JWT_REUSE_GRACE="60s").returncode == 0

    result = _start(EMAIL_URL="consolemail://", JWT_REUSE_GRACE="61s")

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Gateway configuration error: JWT_REUSE_GRACE must be at most 1m (see .env.example)."
    ]
