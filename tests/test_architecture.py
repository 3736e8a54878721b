"""The dependency direction between apps holds at run time, not only in import-linter's view."""

from __future__ import annotations

import json

from tests.support.processes import run_python

FEATURE_APPS = ("accounts", "billing", "channels_app", "metrics", "uploads")

IMPORT_EVERY_PROVIDER_MODULE = """
import importlib, json, pkgutil, sys
import django.conf
django.conf.settings.configure()  # settings without INSTALLED_APPS: no app is loaded for us
import providers
names = [m.name for m in pkgutil.walk_packages(providers.__path__, "providers.")]
for name in names:
    importlib.import_module(name)
apps = {name.split(".")[0] for name in sys.modules}
print(json.dumps({"modules": names, "apps": sorted(apps)}))
"""


def test_platform_code_loads_without_any_feature_app():
    # When every module under providers/ is imported in a fresh interpreter
    completed = run_python(IMPORT_EVERY_PROVIDER_MODULE)

    # Then it imports fine, and no feature app was pulled in on the way
    assert completed.returncode == 0, completed.stderr
    loaded = json.loads(completed.stdout)
    assert "providers.youtube.upload" in loaded["modules"]
    assert "providers.registry" in loaded["modules"]
    assert [app for app in FEATURE_APPS if app in loaded["apps"]] == []
