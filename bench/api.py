"""Requests/s and latency of the API next to the framework's ceiling, with wrk.

    .venv/bin/python bench/api.py [--database-url postgres://...] [--redis-url redis://...]
        [--duration 10] [--connections 32 128] [--sustained 60]

Starts the service as the Procfile does (release, then honcho with web, worker and beat; the
web process is ``scripts/serve``) with ``DJANGO_SETTINGS_MODULE=bench.settings``, which adds
``GET /bench/ceiling`` (a bare Django view returning constant JSON) to the same server. Makes
a user with 5 channels and 20 jobs on a plan whose request limit never bites (the throttle
still runs). Then, for each connection count, runs wrk against the ceiling,
``GET /api/v1/channels``, ``GET /api/v1/jobs`` and ``GET /health`` and prints requests/s,
p50, p99, non-2xx answers and the ratio to the ceiling. ``--sustained N`` then holds 128
connections on ``GET /api/v1/jobs`` for N seconds while sampling PostgreSQL's connections to
the database (``pg_stat_activity``) and ``GET /health``. Stops everything it started and
deletes its rows. Needs ``wrk`` (Debian: ``apt-get install wrk``). Not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT / "var" / "bench-api.log"  # the service's output (warnings and errors)
BIN = Path(sys.executable).parent

SETUP = """
import json, os, django
django.setup()
from datetime import date
from accounts.models import User
from accounts.services import session_start
from billing.models import Plan
from channels_app.models import Channel, ChannelStatus
from uploads.models import Job, JobStatus

User.objects.filter(email="bench@example.com").delete()
plan, _ = Plan.objects.update_or_create(
    code="bench", defaults={"name": "Bench", "channel_limit": 10, "upload_quota": None,
    "storage_limit_bytes": None, "requests_per_minute": 10**9, "sort_order": 99})
user = User.objects.create_user(email="bench@example.com", plan=plan)
platforms = ["spotify", "apple_podcasts", "deezer", "tunein", "podchaser"]
ids = ["4rOoJ6Egrf8K2IrywzwOMk", "id1234567890", "123456", "p123456", "123456789"]
channels = [
    Channel.objects.create(user=user, platform=p, provider_channel_id=i,
                           display_name=f"Show {n}", status=ChannelStatus.ACTIVE)
    for n, (p, i) in enumerate(zip(platforms, ids))
]
for n in range(20):
    Job.objects.create(user=user, channel=channels[n % 5], platform=channels[n % 5].platform,
                       asset_url="https://cdn.example.com/a.mp3", title=f"Episode {n}",
                       status=JobStatus.SUCCEEDED, quota_period=date.today().replace(day=1))
print(json.dumps({"token": session_start(user=user).access}))
"""

TEARDOWN = """
import os, django
django.setup()
from accounts.models import User
from billing.models import Plan
User.objects.filter(email="bench@example.com").delete()
Plan.objects.filter(code="bench").delete()
"""

ENDPOINTS = [
    ("ceiling (bare Django view)", "/bench/ceiling", False),
    ("GET /api/v1/channels", "/api/v1/channels", True),
    ("GET /api/v1/jobs", "/api/v1/jobs", True),
    ("GET /health", "/health", False),
]


def _env(args: argparse.Namespace, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "JWT_SECRET": "bench-jwt-secret-that-is-long-enough-for-hs256",
        "ENCRYPTION_KEY": "bench-encryption-key",
        "EMAIL_URL": "consolemail://",
        "ENV_FILE": os.devnull,
        "LOG_LEVEL": "WARNING",
        "PORT": str(port),
        "HOST": "127.0.0.1",
    }


def _procfile(name: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    raise SystemExit(f"no {name} process in the Procfile")


def _python(code: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise SystemExit(result.stderr)
    return result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310  (loopback)
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout}s")


def _wrk(url: str, connections: int, duration: int, token: str | None) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": _percentile(out, 50),
        "p99": _percentile(out, 99),
        "requests": requests,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def _percentile(out: str, percent: int) -> float:
    """Milliseconds from wrk's "Latency Distribution" line for ``percent``."""
    match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.MULTILINE)
    if not match:
        return float("nan")
    number, unit = match.groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def _pg_connections(database_url: str) -> int:
    name = database_url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(database_url.replace(f"/{name}", "/postgres"), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (name,)
        ).fetchone()
    return int(row[0]) if row else 0


def _health(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310  (loopback)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def sustained(args: argparse.Namespace, base: str, token: str, pool_total: int) -> None:
    peak, health = [0], []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _pg_connections(args.database_url))
            health.append(_health(f"{base}/health"))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample)
    sampler.start()
    result = _wrk(f"{base}/api/v1/jobs", 128, args.sustained, token)
    done.set()
    sampler.join()
    after = _health(f"{base}/health")
    print(
        f"\nsustained: 128 connections x {args.sustained}s on GET /api/v1/jobs: "
        f"{result['rps']:.0f} req/s, p50 {result['p50']:.0f} ms, p99 {result['p99']:.0f} ms, "
        f"{result['requests']} requests, non-2xx {result['non_2xx']}"
        + (f", socket errors: {result['socket_errors']}" if result["socket_errors"] else "")
    )
    print(
        f"PostgreSQL connections to the database: peak {peak[0]} "
        f"(configured pool total {pool_total}, plus this sampler's own)"
    )
    codes = {code: health.count(code) for code in sorted(set(health))}
    print(f"/health during: {codes} (0: no answer within 5 s); right after: {after}")
    exhausted = LOG.read_text().count("database pool exhausted")
    print(f"requests refused for want of a database connection (503): {exhausted}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gw_serving"),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/2")
    )
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--sustained", type=int, default=0)
    args = parser.parse_args()

    port = _free_port()
    env = _env(args, port)
    subprocess.run(
        ["/bin/sh", "-c", _procfile("release")],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    token = json.loads(_python(SETUP, env))["token"]
    (ROOT / "var").mkdir(exist_ok=True)
    log = LOG.open("w")
    honcho = subprocess.Popen(
        [
            str(BIN / "honcho"),
            "start",
            "--env",
            os.devnull,
            "--procfile",
            "Procfile",
            "--port",
            str(port),
            "web",
            "worker",
            "beat",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/health")
        settings = json.loads(
            _python(
                "import json, os, django; django.setup(); from django.conf import settings as s; "
                "print(json.dumps([s.WEB_CONCURRENCY, s.DB_POOL_MAX_SIZE]))",
                env,
            )
        )
        web, pool = settings
        workers = int(os.environ.get("WORKER_CONCURRENCY", "2"))
        pool_total = web * pool + workers * pool + 1
        print(
            f"web processes {web}, worker processes {workers}, DB_POOL_MAX_SIZE {pool}, "
            f"{os.cpu_count()} cores; wrk -t2 -d{args.duration}s per row"
        )
        for path in ("/bench/ceiling", "/api/v1/jobs"):  # warm up every process
            _wrk(f"{base}{path}", 16, 2, token)
        print(
            f"\n{'endpoint':28} {'conns':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'non-2xx':>8} {'of ceiling':>10}"
        )
        for connections in args.connections:
            ceiling = None
            for label, path, authenticated in ENDPOINTS:
                result = _wrk(
                    f"{base}{path}", connections, args.duration, token if authenticated else None
                )
                ceiling = ceiling or result["rps"]
                print(
                    f"{label:28} {connections:>5} {result['rps']:>8.0f} {result['p50']:>8.1f} "
                    f"{result['p99']:>8.1f} {result['non_2xx']:>8} "
                    f"{result['rps'] / ceiling:>10.0%}",
                    flush=True,
                )
        if args.sustained:
            sustained(args, base, token, pool_total)
    finally:
        os.killpg(honcho.pid, signal.SIGTERM)
        try:
            honcho.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)
        log.close()
        _python(TEARDOWN, env)


if __name__ == "__main__":
    main()
