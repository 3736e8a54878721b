"""Settings come from the environment: the embedded defaults and the switch to PostgreSQL/Redis."""

import json
import os
from pathlib import Path

import pytest
from django.db import connection

from tests.support.processes import run_manage, run_python

PRINT_SETTINGS = """
import json, django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway.settings")
django.setup()
from django.conf import settings as s
print(json.dumps({
    "engine": s.DATABASES["default"]["ENGINE"],
    "conn_max_age": s.DATABASES["default"].get("CONN_MAX_AGE"),
    "pool": s.DATABASES["default"].get("OPTIONS", {}).get("pool"),
    "db_name": s.DATABASES["default"]["NAME"],
    "debug": s.DEBUG,
    "channel_layer": s.CHANNEL_LAYERS["default"]["BACKEND"],
    "cache": s.CACHES["default"]["BACKEND"],
    "broker": s.CELERY_BROKER_URL,
    "eager": s.CELERY_TASK_ALWAYS_EAGER,
    "jwt_secret": s.JWT_SECRET,
    "access_ttl": s.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds(),
}))
"""


def _settings(**env: str | None) -> dict:
    result = run_python(PRINT_SETTINGS, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_embedded_defaults_use_sqlite_memory_layer_and_in_process_jobs():
    loaded = _settings(DATABASE_URL="sqlite:///var/embedded.sqlite3")

    assert loaded["engine"] == "django.db.backends.sqlite3"
    assert loaded["channel_layer"] == "channels.layers.InMemoryChannelLayer"
    assert loaded["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert loaded["broker"] == "memory://"
    assert loaded["eager"] is True


def test_database_url_and_redis_url_switch_to_postgresql_and_redis():
    loaded = _settings(
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/test",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )

    assert loaded["engine"] == "django.db.backends.postgresql"
    assert loaded["conn_max_age"] == 0
    assert loaded["pool"] == {"min_size": 2, "max_size": 10, "timeout": 5.0}
    assert loaded["channel_layer"] == "channels_redis.core.RedisChannelLayer"
    assert loaded["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert loaded["broker"] == "redis://127.0.0.1:6379/0"
    assert loaded["eager"] is False


def test_environment_wins_over_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("JWT_SECRET=from-the-file\nJWT_ACCESS_TTL=5m\n")

    loaded = _settings(ENV_FILE=str(env_file), JWT_SECRET="from-the-environment")

    assert loaded["jwt_secret"] == "from-the-environment"
    assert loaded["access_ttl"] == 300  # only in the file, so the file's value is used


def test_env_example_is_a_valid_env_file():
    example = Path(__file__).resolve().parents[1] / ".env.example"
    names = ("DEBUG", "JWT_SECRET", "ENCRYPTION_KEY", "DATABASE_URL", "JWT_ACCESS_TTL")

    loaded = _settings(ENV_FILE=str(example), **dict.fromkeys(names))  # the file's values only

    assert loaded["engine"] == "django.db.backends.postgresql"
    assert loaded["db_name"] == "gateway"
    assert loaded["debug"] is False
    assert loaded["jwt_secret"] == "change-me-to-a-long-random-string"
    assert loaded["access_ttl"] == 900


@pytest.mark.parametrize("variable", ["JWT_SECRET", "ENCRYPTION_KEY", "DATABASE_URL"])
def test_production_start_up_refuses_a_missing_secret(variable):
    result = run_manage("check", DEBUG="false", **{variable: ""})

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Gateway configuration error: {variable} must be set when DEBUG is off (see .env.example)."
    ]


def test_start_up_refuses_upload_shares_without_the_free_plans():
    result = run_manage("check", DEBUG="true", YOUTUBE_DAILY_UPLOAD_SHARE="pro=20")

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Gateway configuration error: YOUTUBE_DAILY_UPLOAD_SHARE must give the free plan's share."
    ]


def test_production_settings_pass_the_deploy_checklist():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECURE_SSL_REDIRECT="true",
        SECRET_KEY="a-production-secret-key-that-is-long-and-random-0123456789abcdef",
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_tests_run_on_the_database_named_by_database_url():
    scheme = os.environ["DATABASE_URL"].split(":", 1)[0]

    assert connection.vendor == ("postgresql" if scheme.startswith("postgres") else "sqlite")
