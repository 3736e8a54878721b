"""The service as production runs it, started once for the whole benchmark.

As the Procfile says: ``release`` (migrations, plans), then honcho with ``web``
(``scripts/serve``: gunicorn with ``WEB_CONCURRENCY`` uvicorn workers), ``worker`` (Celery,
prefork, ``WORKER_CONCURRENCY``) and ``beat``, all with ``DJANGO_SETTINGS_MODULE=bench.settings``
and ``DEBUG=false``. :meth:`Stack.stop` ends the whole process group, whatever happened.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.measure import children, cmdline, parent

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PROCESSES = ("web", "worker", "beat")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stack_env(*, database_url: str, redis_url: str, port: int, extra: dict[str, str]) -> dict:
    """The environment of every process of the benchmark (the orchestrator's included)."""
    return {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "JWT_SECRET": "bench-jwt-secret-that-is-long-enough-for-hs256",
        "ENCRYPTION_KEY": "bench-encryption-key",
        "EMAIL_URL": "consolemail://",
        "ENV_FILE": os.devnull,
        "SENTRY_DSN": "",
        "WEBSUB_HUB_URL": "",
        "LOG_LEVEL": "WARNING",
        "PORT": str(port),
        "HOST": "127.0.0.1",
        **extra,
    }


def _procfile(name: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    raise SystemExit(f"no {name} process in the Procfile")


class Stack:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.port = int(env["PORT"])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._honcho: subprocess.Popen | None = None

    def release(self) -> None:
        subprocess.run(
            ["/bin/sh", "-c", _procfile("release")],
            cwd=ROOT,
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        procfile = ["--procfile", "Procfile", "--port", str(self.port)]
        with self.log.open("w") as log:
            self._honcho = subprocess.Popen(
                [str(BIN / "honcho"), "start", "--env", os.devnull, *procfile, *PROCESSES],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # one group to end; Ctrl-C reaches only us
            )
        self._wait_for(f"{self.base_url}/health")
        deadline = time.monotonic() + 60
        while not self.worker_pool():
            if time.monotonic() > deadline:
                raise SystemExit(f"the Celery worker did not start; see {self.log}")
            time.sleep(0.3)

    def _wait_for(self, url: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._honcho is not None and self._honcho.poll() is not None:
                raise SystemExit(f"the service exited during start-up; see {self.log}")
            try:
                with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback)
                    return
            except OSError:
                time.sleep(0.3)
        raise SystemExit(f"{url} did not answer within {timeout}s; see {self.log}")

    def check(self) -> None:
        """Refuse to go on measuring a service that stopped (say, killed from outside)."""
        if self._honcho is None or self._honcho.poll() is not None:
            raise SystemExit(f"the service stopped; see {self.log}")

    def stop(self) -> None:
        if self._honcho is None or self._honcho.poll() is not None:
            return
        os.killpg(self._honcho.pid, signal.SIGTERM)
        try:
            self._honcho.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self._honcho.pid, signal.SIGKILL)
            self._honcho.wait()

    def _processes(self) -> list[int]:
        return children(self._honcho.pid) if self._honcho is not None else []

    def _grandchildren(self, program: str) -> list[int]:
        """Processes of ``program`` whose parent runs ``program`` too (not the shell around)."""
        pids = self._processes()

        def runs(pid: int) -> bool:
            line = cmdline(pid)
            return program in line and not line.startswith("/bin/sh")

        return [pid for pid in pids if runs(pid) and runs(parent(pid))]

    def web_workers(self) -> list[int]:
        """The gunicorn workers (the arbiter's children)."""
        return self._grandchildren("gunicorn")

    def worker_pool(self) -> list[int]:
        """The Celery worker's pool processes (children of its main process; beat has none)."""
        return self._grandchildren("celery")
