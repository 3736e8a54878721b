"""Gateway's settings for ``make bench``: the ``bench`` app (the ceiling view, the instant
provider, the no-op task, the seeding command) on top of production settings. Bench-only code
stays under ``bench/``; nothing here is loaded by the product."""

from gateway.settings import *  # noqa: F403
from gateway.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.apps.BenchConfig"]
ROOT_URLCONF = "bench.urls"
