"""Processes an outage test starts and stops itself: a private Redis server and a Celery worker.

The shared Redis server of the machine is never stopped; a test that needs Redis "down" runs
its own ``redis-server`` on a free port and stops that one.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from django.conf import settings

from tests.support.processes import ROOT, child_env, free_port


class PrivateRedis:
    """A throwaway ``redis-server`` on a loopback port that stays the same across restarts."""

    def __init__(self) -> None:
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed")
        self._process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)
        self._process = None


def deployment_env(
    *, database_url: str, redis_url: str, youtube_url: str, asset_host: str, chunk_size: int
) -> dict[str, str]:
    """The environment of a server and worker deployment on this test's database, Redis
    ``redis_url`` and the fake YouTube; the beat re-sends a job not picked up within 2 s."""
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "JWT_SECRET": settings.JWT_SECRET,
        "JWT_ISSUER": settings.JWT_ISSUER,
        "JWT_AUDIENCE": settings.JWT_AUDIENCE,
        "ENCRYPTION_KEY": settings.ENCRYPTION_KEY,
        "LOG_LEVEL": "WARNING",
        "YOUTUBE_API_URL": youtube_url,
        "GOOGLE_OAUTH_TOKEN_URL": f"{youtube_url}/token",
        "YOUTUBE_CLIENT_ID": "fake-client-id",
        "YOUTUBE_CLIENT_SECRET": "fake-client-secret",
        "OUTBOUND_ALLOWED_HOSTS": asset_host,
        "UPLOAD_CHUNK_SIZE": str(chunk_size),
        # The dispatcher (beat) looks every second and re-sends a job not picked up for
        # two seconds, so the test does not wait the default ten minutes.
        "UPLOAD_DISPATCH_INTERVAL": "1s",
        "UPLOAD_STALE_AFTER": "2s",
    }


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def celery_worker_with_beat(tmp_path: Path, **env: str) -> Iterator[None]:
    """``celery worker -B`` (solo pool) in a child process, stopped afterwards; its log is
    ``tmp_path / "worker.log"``."""
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "gateway",
            "worker",
            "-B",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
            "-s",
            str(tmp_path / "celerybeat-schedule"),
        ],
        cwd=ROOT,
        env=child_env(**env),
        stdout=log,
        stderr=log,
    )
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
