"""Start Gateway's web process exactly as each start command does (Procfile, Dockerfile CMD,
``make run``), in a child process group, on a free loopback port."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tests.support.processes import ROOT, _wait_until_listening, child_env, free_port

START_COMMANDS = ("procfile", "dockerfile", "make run")


@cache
def _migrated_sqlite_template() -> Path:
    """One SQLite database migrated once per test session (dj-stripe's migrations take a
    minute), copied for each ``make run`` so its own migrate step finds nothing left to do."""
    template = Path(tempfile.mkdtemp(prefix="gateway-sqlite-")) / "template.sqlite3"
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=child_env(DATABASE_URL=f"sqlite:///{template}", LOG_LEVEL="WARNING"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    return template


def embedded_database_url(workdir: Path) -> str:
    """The ``DATABASE_URL`` of a fresh, already migrated SQLite database in ``workdir``."""
    database = workdir / "gateway.sqlite3"
    shutil.copyfile(_migrated_sqlite_template(), database)
    return f"sqlite:///{database}"


def procfile_web_command() -> list[str]:
    """The Procfile's ``web:`` line, run by a shell as honcho and Heroku-style hosts do."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return ["sh", "-c", line.removeprefix("web:").strip()]
    raise AssertionError("the Procfile has no web process")


def dockerfile_command() -> list[str]:
    """The Dockerfile's CMD (exec form), run from the image's WORKDIR (the repository)."""
    text = (ROOT / "Dockerfile").read_text()
    match = re.search(r"^CMD (\[.*\])$", text, re.MULTILINE)
    assert match, "the Dockerfile has no exec-form CMD"
    return json.loads(match.group(1))


def command_for(start: str) -> list[str]:
    if start == "procfile":
        return procfile_web_command()
    if start == "dockerfile":
        return dockerfile_command()
    if start == "make run":
        return ["make", "--no-print-directory", "run"]
    raise ValueError(start)


@dataclass(frozen=True)
class Server:
    base_url: str
    process: subprocess.Popen

    def worker_pids(self) -> list[int]:
        """Every process of the server's group (make, shell, gunicorn master and workers)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if os.getpgid(int(entry.name)) == self.process.pid:
                        pids.append(int(entry.name))
                except ProcessLookupError:
                    continue
        return pids


@contextmanager
def started(start: str, workdir: Path, **env: str | None) -> Iterator[Server]:
    """Run ``start`` with ``env`` (on top of a production-like environment); temporary files
    of the server go to ``workdir/tmp``. Stops the whole process group afterwards."""
    port = free_port()
    tmp = workdir / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    server_env = child_env(
        PORT=str(port),
        HOST="127.0.0.1",
        TMPDIR=str(tmp),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        LOG_LEVEL="WARNING",
        **env,
    )
    log = (workdir / "server.log").open("w")
    process = subprocess.Popen(
        command_for(start),
        cwd=ROOT,
        env=server_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        try:
            _wait_until_listening(port, process, timeout=90)
        except (RuntimeError, TimeoutError) as exc:
            raise AssertionError(
                f"{shlex.join(command_for(start))} did not start: {exc}\n"
                + (workdir / "server.log").read_text()[-3000:]
            ) from exc
        yield Server(base_url=f"http://127.0.0.1:{port}", process=process)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
