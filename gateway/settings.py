"""Gateway settings: one module, every value from the environment (django-environ).

With nothing set, Gateway runs on embedded defaults (SQLite under ``var/``, in-memory
channel layer, background jobs in-process). ``DATABASE_URL`` and ``REDIS_URL`` switch to
PostgreSQL and Redis. Variables in the environment win over ``.env``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from kombu import Exchange, Queue

from gateway.env import (
    derive_key,
    fail_configuration,
    parse_duration,
    parse_percentages,
    parse_rate,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# Variables already in the environment win: read_env only fills in the missing ones.
environ.Env.read_env(env.str("ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# --- secrets -------------------------------------------------------------------------
# Development (DEBUG on) gets throwaway values; production must set them explicitly.
_REQUIRED_IN_PRODUCTION = ("JWT_SECRET", "ENCRYPTION_KEY", "DATABASE_URL")
if not DEBUG:
    for _name in _REQUIRED_IN_PRODUCTION:
        if not env.str(_name, default=""):
            fail_configuration(f"{_name} must be set when DEBUG is off (see .env.example).")

JWT_SECRET = env.str("JWT_SECRET", default="insecure-development-jwt-secret-change-me")
ENCRYPTION_KEY = env.str("ENCRYPTION_KEY", default="insecure-development-encryption-key")
ENCRYPTION_KEYS_OLD = env.list("ENCRYPTION_KEYS_OLD", default=[])
SECRET_KEY = env.str("SECRET_KEY", default="") or derive_key(JWT_SECRET, "django-secret-key")

# --- public addresses ------------------------------------------------------------------
PORT = env.int("PORT", default=4000)
FRONTEND_BASE_URL = env.str("FRONTEND_BASE_URL", default="http://localhost:3000").rstrip("/")
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default=f"http://localhost:{PORT}").rstrip("/")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=["localhost", "127.0.0.1", "[::1]", urlsplit(PUBLIC_BASE_URL).hostname or "localhost"],
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[PUBLIC_BASE_URL])
CORS_ALLOWED_ORIGINS = [FRONTEND_BASE_URL]

# --- applications ------------------------------------------------------------------
INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_standardized_errors",
    "django_celery_results",
    "django_guid",
    "channels",
    "core",
    "accounts",
    "billing",
    "channels_app",
    "uploads",
    "quotas",
    "metrics",
    "providers",
    "webhooks",
]

MIDDLEWARE = [
    "django_guid.middleware.guid_middleware",
    "core.access_log.AccessLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Innermost, so it sees the views' exceptions: no free database connection is a 503.
    "core.errors.DatabaseBusyMiddleware",
]

ROOT_URLCONF = "gateway.urls"
WSGI_APPLICATION = "gateway.wsgi.application"
ASGI_APPLICATION = "gateway.asgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database ------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'gateway.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3's pool (Django's native support): each process, web or worker, holds at most
    # DB_POOL_MAX_SIZE connections whatever its concurrency (under ASGI every request runs in a
    # thread of its own, so persistent per-thread connections grew without bound). A request
    # that waits DB_POOL_TIMEOUT seconds for a free one is a 503 (core.db_pool), not a pile-up.
    # The pool needs CONN_MAX_AGE = 0: a connection goes back to the pool after each request.
    DB_POOL_MIN_SIZE = env.int("DB_POOL_MIN_SIZE", default=2)
    DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=10)
    DB_POOL_TIMEOUT = env.float("DB_POOL_TIMEOUT", default=5.0)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(DB_POOL_MIN_SIZE, DB_POOL_MAX_SIZE),
        "max_size": DB_POOL_MAX_SIZE,
        "timeout": DB_POOL_TIMEOUT,
    }
    # With the pool this is psycopg's check on checkout: a connection the server closed
    # (restart, idle kill) is replaced, not handed out.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Embedded SQLite under concurrent requests: WAL lets readers go on beside the writer,
    # IMMEDIATE takes the write lock at BEGIN (a transaction that reads then writes cannot
    # deadlock on the lock upgrade; select_for_update() is a no-op on SQLite), and a writer
    # waits up to `timeout` seconds for the lock instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    if DATABASES["default"]["NAME"] != ":memory:":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)

# --- HTTP server (scripts/serve: gunicorn with uvicorn workers) ------------------------------
# Largest request body of any route but the signed upload PUT (whose token names its size);
# refused with 413 at the edge of the application (core.asgi_limits) before Django reads it.
REQUEST_BODY_MAX_BYTES = env.int("REQUEST_BODY_MAX_BYTES", default=1024 * 1024)

# --- Redis: Celery broker, channel layer, cache ------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Web worker processes (scripts/gunicorn.conf.py): one per core by default. Embedded mode (no
# REDIS_URL) always runs one, since its channel layer and job runner live in one process.
WEB_CONCURRENCY = env.int("WEB_CONCURRENCY", default=os.cpu_count() or 1) if REDIS_URL else 1
_DB_POOL: dict[str, Any] = DATABASES["default"].get("OPTIONS", {}).get("pool", {})
# Requests inside Django at once per web process; the others wait in the event loop
# (core.asgi_concurrency). By default as many as the process has database connections.
WEB_MAX_INFLIGHT = env.int(
    "WEB_MAX_INFLIGHT",
    default=_DB_POOL.get("max_size", 10),
)
# Seconds a request may wait for its turn before a 503 with Retry-After; by default as long as
# it may wait for a database connection.
WEB_QUEUE_TIMEOUT = env.float(
    "WEB_QUEUE_TIMEOUT",
    default=_DB_POOL.get("timeout", 5.0),
)
# Every Redis client gives up after these many seconds, so an unreachable Redis degrades a
# request (rate limits fall back, the job waits for the dispatcher) instead of hanging it.
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=0.5)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=0.5)
_REDIS_TIMEOUTS = {
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
}

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # One pool per process: Django's per-thread cache clients would each open one.
            "OPTIONS": {"pool_class": "core.redis_pool.SharedConnectionPool", **_REDIS_TIMEOUTS},
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # capacity: messages waiting per channel. A web process's sockets share one inbox
            # key in Redis, so the default of 100 drops events during a burst to many sockets.
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        **_REDIS_TIMEOUTS,
                        # Receiving blocks on BZPOPMIN for 5 s (channels_redis' brpop_timeout):
                        # a shorter read timeout would break every idle socket's receive loop.
                        "socket_timeout": max(REDIS_SOCKET_TIMEOUT, 10.0),
                    }
                ],
                "capacity": env.int("CHANNEL_LAYER_CAPACITY", default=10000),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Celery: with Redis a worker runs the tasks; embedded mode runs them in-process (core.tasks).
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_BROKER_TRANSPORT_OPTIONS = {**_REDIS_TIMEOUTS}
# A request that sends a task (upload accepted, forgot-password) tries the broker twice at most
# (the second attempt reconnects a pooled connection that Redis closed), then gives up: the
# job row is the record of truth and the dispatcher sends it once Redis is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}
# Results live in PostgreSQL (django-celery-results), so no result client talks to Redis.
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=3300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=3600)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# beat cannot start without its directory (a fresh checkout started from the Procfile).
Path(CELERY_BEAT_SCHEDULE_FILENAME).parent.mkdir(parents=True, exist_ok=True)
CELERY_BEAT_SCHEDULE: dict = {}
CELERY_BEAT_SCHEDULE["accounts-purge-expired-tokens"] = {
    "task": "accounts.tasks.expired_tokens_purge",
    "schedule": 24 * 3600,
}

# --- authentication ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

JWT_ISSUER = env.str("JWT_ISSUER", default="customer-portal")
JWT_AUDIENCE = env.str("JWT_AUDIENCE", default="customer-portal-clients")
SIMPLE_JWT = {
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SECRET,
    "ISSUER": JWT_ISSUER,
    "AUDIENCE": JWT_AUDIENCE,
    "ACCESS_TOKEN_LIFETIME": parse_duration(env.str("JWT_ACCESS_TTL", default="15m")),
    "REFRESH_TOKEN_LIFETIME": parse_duration(env.str("JWT_REFRESH_TTL", default="30d")),
    # Rotation and revocation are accounts.services' (RefreshTokenRecord): simplejwt's
    # token_blacklist app would store every refresh token in full.
    "ROTATE_REFRESH_TOKENS": True,
    "UPDATE_LAST_LOGIN": True,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "sub",
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Tokens carry a digest of the password hash: changing the password (reset, admin)
    # ends every access token at once, not only when it expires.
    "CHECK_REVOKE_TOKEN": True,
}
# A rotated refresh token presented again within this time is refused without consequence
# (two tabs refreshing at once); later, it ends the whole login (its token family).
JWT_REUSE_GRACE = parse_duration(env.str("JWT_REUSE_GRACE", default="30s"))
if JWT_REUSE_GRACE.total_seconds() > 60:
    fail_configuration("JWT_REUSE_GRACE must be at most 1m (see .env.example).")
PASSWORD_RESET_TTL = parse_duration(env.str("PASSWORD_RESET_TTL", default="1h"))
# Each process keeps an authenticated (user, plan) this long instead of reading it on every
# request (accounts.authentication); a password change or deactivation saved in another
# process ends that user's old tokens there within this time ("0" disables the cache).
AUTH_USER_CACHE_TTL = parse_duration(env.str("AUTH_USER_CACHE_TTL", default="5s"))
# The jobs and channels lists are kept per web process and sent again while their owner's rows
# are unchanged (core.kept_responses; needs Redis). The lifetime bounds how long a change made
# outside Django, or lost to a Redis outage, can go unseen ("0" disables); the size is per process.
LIST_CACHE_TTL = parse_duration(env.str("LIST_CACHE_TTL", default="30s"))
LIST_CACHE_MAX_BYTES = env.int("LIST_CACHE_MAX_BYTES", default=16 * 1024 * 1024)

# Brute-force limits ("count/period"). Client addresses are REMOTE_ADDR unless
# TRUSTED_PROXY_COUNT says how many reverse proxies in front append to X-Forwarded-For.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
LOGIN_LIMIT_PER_ACCOUNT = parse_rate(env.str("LOGIN_LIMIT_PER_ACCOUNT", default="10/15m"))
LOGIN_LIMIT_PER_IP = parse_rate(env.str("LOGIN_LIMIT_PER_IP", default="30/15m"))
SIGNUP_LIMIT_PER_IP = parse_rate(env.str("SIGNUP_LIMIT_PER_IP", default="10/1h"))
FORGOT_PASSWORD_LIMIT_PER_IP = parse_rate(env.str("FORGOT_PASSWORD_LIMIT_PER_IP", default="5/1h"))
# Reset emails per address, whoever asks: nobody floods one inbox from many client addresses.
FORGOT_PASSWORD_LIMIT_PER_EMAIL = parse_rate(
    env.str("FORGOT_PASSWORD_LIMIT_PER_EMAIL", default="3/1h")
)

# Operator accounts applied by `manage.py bootstrap_admins`.
ADMIN_EMAIL = env.str("ADMIN_EMAIL", default="")
ADMIN_VIEWER_EMAIL = env.str("ADMIN_VIEWER_EMAIL", default="")

# --- realtime job feed (/ws/jobs) ------------------------------------------------------
# A socket without ?token= must send {"type": "auth"} within WS_AUTH_TIMEOUT; one that sends
# nothing (not even {"type": "ping"}) for WS_IDLE_TIMEOUT is closed ("0" disables).
WS_AUTH_TIMEOUT = parse_duration(env.str("WS_AUTH_TIMEOUT", default="10s"))
WS_IDLE_TIMEOUT = parse_duration(env.str("WS_IDLE_TIMEOUT", default="120s"))

# --- REST API ------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.JWTAuthentication",
    ],
    # Every authenticated endpoint is limited by the user's plan unless a view says otherwise.
    "DEFAULT_THROTTLE_CLASSES": ["billing.throttles.PlanRateThrottle"],
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["core.renderers.CamelCaseJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["djangorestframework_camel_case.parser.CamelCaseJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_standardized_errors.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "core.errors.GatewayExceptionHandler",
    "EXCEPTION_FORMATTER_CLASS": "core.errors.CamelCaseExceptionFormatter",
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
}
SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "Gateway API",
    "DESCRIPTION": "Publish to ten audio and video platforms from one place.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        name: f"drf_standardized_errors.openapi_serializers.{name}.choices"
        for name in ("ValidationErrorEnum", "ClientErrorEnum", "ServerErrorEnum")
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "drf_spectacular.contrib.djangorestframework_camel_case.camelize_serializer_fields",
        "core.openapi.describe_error_components",
    ],
}

# --- email ---------------------------------------------------------------------------
EMAIL_FROM = env.str("EMAIL_FROM", default="Gateway <no-reply@localhost>")
DEFAULT_FROM_EMAIL = EMAIL_FROM
_gmail_user = env.str("GMAIL_USER", default="")
_EMAIL_BACKENDS_THAT_DROP_MAIL = (
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
)
# With DEBUG off mail must be configured: the console default would print reset links into
# the logs, and memorymail:// / dummymail:// drop every message. An explicit
# EMAIL_URL=consolemail:// (what `make run` writes) is a deliberate local choice and allowed.
if not DEBUG and not (_gmail_user or env.str("EMAIL_URL", default="")):
    fail_configuration("EMAIL_URL must be set when DEBUG is off (see .env.example).")
if _gmail_user:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST, EMAIL_PORT, EMAIL_USE_TLS = "smtp.gmail.com", 587, True
    EMAIL_HOST_USER = _gmail_user
    EMAIL_HOST_PASSWORD = env.str("GMAIL_APP_PASSWORD", default="")
else:
    _email = env.email_url("EMAIL_URL", default="consolemail://")
    if not DEBUG and _email["EMAIL_BACKEND"] in _EMAIL_BACKENDS_THAT_DROP_MAIL:
        fail_configuration(
            "EMAIL_URL must not be memorymail:// or dummymail:// when DEBUG is off "
            "(see .env.example)."
        )
    vars().update(_email)
EMAIL_TIMEOUT = 10

# --- static files, i18n ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- security ------------------------------------------------------------------------
# Only a configured proxy's X-Forwarded-Proto is believed; without one the header is the
# client's to forge, and the scheme is the connection's own.
if TRUSTED_PROXY_COUNT > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^health$"]  # platform health checks probe over plain HTTP
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- logging: JSON lines with the request id ------------------------------------------------
DJANGO_GUID = {"GUID_HEADER_NAME": "X-Request-ID", "RETURN_HEADER": True, "EXPOSE_HEADER": True}
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# "json" (one object a line, for log collectors) or "text" (for a person at a terminal);
# by default text when stderr is a terminal, JSON otherwise (services, containers, CI).
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if sys.stderr.isatty() else "json")
if LOG_FORMAT not in ("json", "text"):
    fail_configuration(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}.")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "correlation_id": {"()": "django_guid.log_filters.CorrelationId"},
        "request_path_only": {"()": "core.log_filters.RequestPathOnly"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s",
            "rename_fields": {
                "asctime": "time",
                "levelname": "level",
                "correlation_id": "requestId",
            },
        },
        "text": {"()": "core.log_filters.ReadableFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["correlation_id", "request_path_only"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django_guid": {"level": "WARNING"},
        "django.db.backends": {"level": "WARNING"},
    },
}

# --- error reporting -----------------------------------------------------------------
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
    )

# --- channels and providers: every endpoint is a setting so tests and proxies can stand in --
YOUTUBE_CLIENT_ID = env.str("YOUTUBE_CLIENT_ID", default="")
YOUTUBE_CLIENT_SECRET = env.str("YOUTUBE_CLIENT_SECRET", default="")
YOUTUBE_REDIRECT_URI = env.str(
    "YOUTUBE_REDIRECT_URI", default=f"{PUBLIC_BASE_URL}/oauth2/callback/youtube"
)
GOOGLE_OAUTH_AUTH_URL = env.str(
    "GOOGLE_OAUTH_AUTH_URL", default="https://accounts.google.com/o/oauth2/v2/auth"
)
GOOGLE_OAUTH_TOKEN_URL = env.str(
    "GOOGLE_OAUTH_TOKEN_URL", default="https://oauth2.googleapis.com/token"
)
GOOGLE_OAUTH_REVOKE_URL = env.str(
    "GOOGLE_OAUTH_REVOKE_URL", default="https://oauth2.googleapis.com/revoke"
)
YOUTUBE_API_URL = env.str("YOUTUBE_API_URL", default="https://www.googleapis.com")
YOUTUBE_HTTP_TIMEOUT = env.int("YOUTUBE_HTTP_TIMEOUT", default=60)
# The daily YouTube Data API quota of the server's Google project (creators' own projects
# carry their own figures): videos.insert calls, and units for every other method.
YOUTUBE_DAILY_UPLOADS = env.int("YOUTUBE_DAILY_UPLOADS", default=100)
YOUTUBE_DAILY_UNITS = env.int("YOUTUBE_DAILY_UNITS", default=10000)
# The most one creator may spend of the shared project's daily uploads, in per cent of
# YOUTUBE_DAILY_UPLOADS by plan code (at least one upload); a plan not named gets free's share.
YOUTUBE_DAILY_UPLOAD_SHARE = parse_percentages(
    env.str("YOUTUBE_DAILY_UPLOAD_SHARE", default="free=5,pro=20,agency=40")
)
if "free" not in YOUTUBE_DAILY_UPLOAD_SHARE:
    fail_configuration("YOUTUBE_DAILY_UPLOAD_SHARE must give the free plan's share.")
SOUNDCLOUD_CLIENT_ID = env.str("SOUNDCLOUD_CLIENT_ID", default="")
SOUNDCLOUD_CLIENT_SECRET = env.str("SOUNDCLOUD_CLIENT_SECRET", default="")
SOUNDCLOUD_REDIRECT_URI = env.str(
    "SOUNDCLOUD_REDIRECT_URI", default=f"{PUBLIC_BASE_URL}/oauth2/callback/soundcloud"
)
SOUNDCLOUD_AUTH_URL = env.str(
    "SOUNDCLOUD_AUTH_URL", default="https://secure.soundcloud.com/authorize"
)
SOUNDCLOUD_TOKEN_URL = env.str(
    "SOUNDCLOUD_TOKEN_URL", default="https://secure.soundcloud.com/oauth/token"
)
SOUNDCLOUD_API_URL = env.str("SOUNDCLOUD_API_URL", default="https://api.soundcloud.com")
# Seconds SoundCloud may take to answer while a track upload is sent or processed.
SOUNDCLOUD_HTTP_TIMEOUT = env.int("SOUNDCLOUD_HTTP_TIMEOUT", default=120)
# Seconds for one OAuth token, revocation or profile call to a platform.
PROVIDER_HTTP_TIMEOUT = env.int("PROVIDER_HTTP_TIMEOUT", default=15)
# How long a user has to finish an OAuth consent (the state and its PKCE verifier expire).
OAUTH_STATE_TTL = parse_duration(env.str("OAUTH_STATE_TTL", default="10m"))
# The daily beat task refreshes OAuth channels not refreshed for this long (under a day, so
# yesterday's run at the same hour counts as stale today).
CHANNEL_STALE_AFTER = parse_duration(env.str("CHANNEL_STALE_AFTER", default="20h"))
CELERY_BEAT_SCHEDULE["channels-refresh-stale"] = {
    "task": "channels_app.tasks.channels_refresh_stale",
    "schedule": crontab(hour=4, minute=0),  # daily, 04:00 UTC
}
CELERY_BEAT_SCHEDULE["channels-purge-oauth-states"] = {
    "task": "channels_app.tasks.oauth_states_purge",
    "schedule": crontab(hour=4, minute=30),
}
# oauthlib and requests-oauthlib log token request and response bodies at DEBUG.
LOGGING["loggers"].update(
    {"oauthlib": {"level": "WARNING"}, "requests_oauthlib": {"level": "WARNING"}}
)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "PlatformEnum": "providers.platforms.Platform",
        "ChannelStatusEnum": "channels_app.models.ChannelStatus",
    }
)

# --- uploads: jobs, workers, storage ---------------------------------------------------------
# How early a platform with its own scheduling (YouTube publishAt) may start a scheduled upload.
UPLOAD_LEAD_TIME = parse_duration(env.str("UPLOAD_LEAD_TIME", default="1h"))
UPLOAD_CHUNK_SIZE = env.int("UPLOAD_CHUNK_SIZE", default=8 * 1024 * 1024)
if UPLOAD_CHUNK_SIZE <= 0 or UPLOAD_CHUNK_SIZE % (256 * 1024):
    fail_configuration("UPLOAD_CHUNK_SIZE must be a positive multiple of 262144 (256 KiB).")
UPLOAD_PROGRESS_INTERVAL = env.float("UPLOAD_PROGRESS_INTERVAL", default=0.5)
if UPLOAD_PROGRESS_INTERVAL < 0:
    fail_configuration("UPLOAD_PROGRESS_INTERVAL must be a number of seconds, 0 or more.")
UPLOAD_MAX_ATTEMPTS = env.int("UPLOAD_MAX_ATTEMPTS", default=5)
UPLOAD_RETRY_BASE_DELAY = env.float("UPLOAD_RETRY_BASE_DELAY", default=30.0)
UPLOAD_RETRY_MAX_DELAY = env.float("UPLOAD_RETRY_MAX_DELAY", default=1800.0)
# A RUNNING job whose row has not moved for this long lost its worker; it is queued again.
UPLOAD_STALE_AFTER = parse_duration(env.str("UPLOAD_STALE_AFTER", default="10m"))
# How often due jobs are looked for (the beat task, or the embedded runner without Redis).
UPLOAD_DISPATCH_INTERVAL = parse_duration(env.str("UPLOAD_DISPATCH_INTERVAL", default="30s"))
# Embedded mode (no REDIS_URL): run due jobs in a thread of the web server process.
UPLOAD_EMBEDDED_RUNNER = env.bool("UPLOAD_EMBEDDED_RUNNER", default=True)
ASSET_FETCH_TIMEOUT = env.float("ASSET_FETCH_TIMEOUT", default=30.0)
# TEST ONLY: "host:port" pairs exempt from the https and address checks of assetUrl and of
# webhook URLs (local fakes on 127.0.0.1). Empty in every real deployment; never add a public
# name here.
OUTBOUND_ALLOWED_HOSTS = env.list("OUTBOUND_ALLOWED_HOSTS", default=[])
# Storage of presigned uploads: local files under var/media, or s3://bucket?endpoint_url=...
STORAGE_URL = env.str("STORAGE_URL", default="")
PRESIGN_TTL = parse_duration(env.str("PRESIGN_TTL", default="15m"))
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=256 * 1024**3)
CELERY_BEAT_SCHEDULE["uploads-dispatch-due"] = {
    "task": "uploads.tasks.dispatch_due_jobs",
    "schedule": UPLOAD_DISPATCH_INTERVAL.total_seconds(),
}

# --- webhooks: signed job events to the creators' endpoints ------------------------------------
# Seconds one delivery attempt may take (connect and answer).
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10.0)
# Exponential back-off between attempts: base doubling per attempt, capped, with jitter.
WEBHOOK_RETRY_BASE_DELAY = env.float("WEBHOOK_RETRY_BASE_DELAY", default=30.0)
WEBHOOK_RETRY_MAX_DELAY = env.float("WEBHOOK_RETRY_MAX_DELAY", default=6 * 3600.0)
# How long a delivery is retried, and an endpoint may fail, before it is given up / disabled.
WEBHOOK_RETRY_WINDOW = parse_duration(env.str("WEBHOOK_RETRY_WINDOW", default="24h"))
# How often due retries are looked for (the beat task, or the embedded sender without Redis).
WEBHOOK_DISPATCH_INTERVAL = parse_duration(env.str("WEBHOOK_DISPATCH_INTERVAL", default="15s"))
# Deliveries have a queue of their own, so a burst of them never waits ahead of uploads in one
# FIFO list: a worker started without -Q takes from both queues in turn, and
# `celery -A gateway worker -Q webhooks` gives them workers of their own.
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name)
    for name in (CELERY_TASK_DEFAULT_QUEUE, "webhooks")
]
CELERY_TASK_ROUTES = {"webhooks.tasks.*": {"queue": "webhooks"}}
CELERY_BEAT_SCHEDULE["webhooks-dispatch-due"] = {
    "task": "webhooks.tasks.deliveries_dispatch_due",
    "schedule": WEBHOOK_DISPATCH_INTERVAL.total_seconds(),
}

# --- billing: Stripe through dj-stripe ------------------------------------------------------
INSTALLED_APPS += ["djstripe"]
# Unset STRIPE_SECRET_KEY: checkout and portal answer 503 billing_not_configured.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
# Signing secret of the endpoint that posts to /webhook/stripe ("whsec_...").
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# Stripe price ids of the paid plans: a subscription to one of them puts the user on that plan.
STRIPE_PRICE_PRO = env.str("STRIPE_PRICE_PRO", default="")
STRIPE_PRICE_AGENCY = env.str("STRIPE_PRICE_AGENCY", default="")
# Root of the Stripe API; tests point it at a local fake.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com").rstrip("/")
# Seconds for one Stripe API call.
STRIPE_HTTP_TIMEOUT = env.int("STRIPE_HTTP_TIMEOUT", default=20)
# dj-stripe reads STRIPE_SECRET_KEY for both modes; the mode follows the key.
STRIPE_LIVE_MODE = STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_"))
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_USE_NATIVE_JSONFIELD = True
# Our users pay; dj-stripe links a Customer to one through Customer.subscriber.
DJSTRIPE_SUBSCRIBER_MODEL = AUTH_USER_MODEL

# --- operator panel: the admin's stats page, /api/v1/admin/stats, admin security headers -----
INSTALLED_APPS += ["operations"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.clickjacking.XFrameOptionsMiddleware") + 1,
    "operations.middleware.AdminSecurityHeadersMiddleware",
)

# --- podcasts: hosted show feeds and their media ------------------------------------------------
INSTALLED_APPS += ["podcasts"]
# Hub pinged (hub.mode=publish) when an episode goes live; empty disables the ping.
WEBSUB_HUB_URL = env.str("WEBSUB_HUB_URL", default="https://pubsubhubbub.appspot.com/")
WEBSUB_HUB_TIMEOUT = env.float("WEBSUB_HUB_TIMEOUT", default=10.0)
# A served feed stays cached this long at most; any change to the show or its episodes
# retires it at once.
PODCAST_FEED_CACHE_TTL = parse_duration(env.str("PODCAST_FEED_CACHE_TTL", default="5m"))
# How often scheduled episodes that became due are made live (beat).
PODCAST_PUBLISH_INTERVAL = parse_duration(env.str("PODCAST_PUBLISH_INTERVAL", default="30s"))
# Lifetime of the presigned S3 GET an enclosure redirects to.
PODCAST_MEDIA_URL_TTL = parse_duration(env.str("PODCAST_MEDIA_URL_TTL", default="1h"))
CELERY_BEAT_SCHEDULE["podcasts-publish-due"] = {
    "task": "podcasts.tasks.episodes_publish_due_task",
    "schedule": PODCAST_PUBLISH_INTERVAL.total_seconds(),
}
