"""Run Gateway in a child process with a chosen environment, as production would start it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "false",
    "JWT_SECRET": "subprocess-jwt-secret-that-is-long-enough",
    "ENCRYPTION_KEY": "subprocess-encryption-key",
    "DATABASE_URL": "sqlite:///var/subprocess.sqlite3",
    "SECURE_SSL_REDIRECT": "false",
    "ENV_FILE": os.devnull,
}


def child_env(**overrides: str | None) -> dict[str, str]:
    """This process's environment without Gateway's variables, plus ``overrides``
    (``None`` leaves a variable unset)."""
    gateway_vars = {*PRODUCTION_ENV, "REDIS_URL", "SENTRY_DSN", "DJANGO_SETTINGS_MODULE"}
    base = {k: v for k, v in os.environ.items() if k not in gateway_vars}
    merged = {**base, **PRODUCTION_ENV, **overrides}
    return {k: v for k, v in merged.items() if v is not None}


def run_python(code: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=child_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def run_manage(*args: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=child_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def asgi_server(**env: str) -> Iterator[str]:
    """Start daphne on a free loopback port; yield its base URL; stop it afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "gateway.asgi:application",
        ],
        cwd=ROOT,
        env=child_env(**env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_listening(port, process)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_until_listening(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited early: {process.stderr.read() if process.stderr else ''}"
            )
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"server did not listen on {port} within {timeout}s")
