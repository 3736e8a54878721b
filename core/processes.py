"""Which kind of process this is: embedded background threads run only in servers."""

from __future__ import annotations

import os
import sys

_SERVERS = ("daphne", "gunicorn", "uvicorn")


def is_server_process(argv: list[str] | None = None) -> bool:
    """True for daphne, gunicorn, uvicorn and runserver's reloaded child; not for commands
    or tests."""
    argv = argv if argv is not None else sys.argv
    if not argv:
        return False
    program = os.path.basename(argv[0])
    if any(name in argv[0] for name in _SERVERS) or program in _SERVERS:
        return True
    return argv[1:2] == ["runserver"] and os.environ.get("RUN_MAIN") == "true"
