"""Gateway's settings plus the benchmark's ceiling route (``bench/api.py`` only)."""

from gateway.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
