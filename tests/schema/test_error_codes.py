"""Every error code a raise site names is in ``core.errors.ERROR_CODES``, so the OpenAPI error
enums (``core.openapi.describe_error_components``) can never silently miss one."""

import re
from pathlib import Path

from core.errors import ERROR_CODES

APPS = ["accounts", "billing", "channels_app", "core", "metrics", "podcasts", "uploads", "webhooks"]
CODE = re.compile(r'(?:\bcode=|default_code = )"([a-z_]+)"')


def test_every_raised_code_is_registered():
    root = Path(__file__).resolve().parents[2]
    raised = {
        code
        for app in APPS
        for path in (root / app).rglob("*.py")
        for code in CODE.findall(path.read_text())
    }
    assert raised, "the scan found no raise sites"
    assert raised - ERROR_CODES == set()
