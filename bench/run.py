"""``make bench``: start the service once as production runs it, run every section, stop
everything, print one table (README "Performance").

    .venv/bin/python -m bench.run [--only api,queue] [--smoke]

``DATABASE_URL`` (PostgreSQL; the database is created if missing) and ``REDIS_URL`` are
required. Sections: api, queue, streaming, websocket, scale (each a module of
``bench.sections`` with ``run(ctx) -> list[Row]``). ``--smoke`` runs each one small and short
(a check that the benchmark works, not a measurement). The service's output goes to
``var/bench/service.log``, the query plans to ``var/bench/explain.txt``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import resource
import signal
import sys
import time
import traceback
import warnings
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis

from bench.fakes import Fakes
from bench.measure import Row, table
from bench.stack import ROOT, Stack, free_port, stack_env

SECTIONS = ("api", "sustained", "queue", "streaming", "websocket", "scale")
OUT = ROOT / "var" / "bench"


def _refuse(message: str) -> None:
    raise SystemExit(f"make bench: {message}")


def services_check(database_url: str, redis_url: str) -> None:
    """Refuse clearly unless PostgreSQL and Redis answer; create the database if missing."""
    if urlsplit(database_url).scheme not in ("postgres", "postgresql"):
        _refuse("DATABASE_URL must name a PostgreSQL database (postgres://user@host:port/name).")
    if urlsplit(redis_url).scheme not in ("redis", "rediss"):
        _refuse("REDIS_URL must name a Redis database (redis://host:port/index).")
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        _refuse(f"Redis at REDIS_URL={redis_url} does not answer ({exc}).")
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    server = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(server, autocommit=True, connect_timeout=3) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        _refuse(f"PostgreSQL at DATABASE_URL={database_url} does not answer ({exc}).")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM: stop what we started, like Ctrl-C


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Gateway's benchmark (README: Performance)")
    parser.add_argument("--only", default="", help=f"comma-separated: {','.join(SECTIONS)}")
    parser.add_argument("--smoke", action="store_true", help="small and short: a check only")
    args = parser.parse_args(argv)
    selected = [name.strip() for name in args.only.split(",") if name.strip()] or list(SECTIONS)
    if unknown := set(selected) - set(SECTIONS):
        _refuse(f"unknown section(s) {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url or not redis_url:
        _refuse("set DATABASE_URL (PostgreSQL) and REDIS_URL: the service runs as in production.")
    services_check(database_url, redis_url)
    # 1,000 sockets and the servers' own: more descriptors than the usual soft limit.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    signal.signal(signal.SIGTERM, _interrupt)
    # The scale section's in-process requests: static files are not collected for the benchmark.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    OUT.mkdir(parents=True, exist_ok=True)

    fakes = Fakes().start()
    env = stack_env(
        database_url=database_url, redis_url=redis_url, port=free_port(), extra=fakes.env()
    )
    os.environ.update(env)
    stack = Stack(env, log=OUT / "service.log")
    rows: list[Row] = []
    failed: list[str] = []
    django_ready = False
    shape = ""
    started = time.monotonic()
    try:
        print("release (migrations, plans)...", flush=True)
        stack.release()
        import django

        django.setup()
        django_ready = True
        from bench.setup import Context, bench_user_create

        user, token, channels = bench_user_create(fakes)
        print("starting web, worker and beat...", flush=True)
        stack.start()
        shape = f"; web workers {len(stack.web_workers())}, worker pool {len(stack.worker_pool())}"
        ctx = Context(stack, fakes, user, token, channels, smoke=args.smoke, out=OUT)
        for name in selected:
            stack.check()
            print(f"{name}...", flush=True)
            began = time.monotonic()
            try:
                rows += importlib.import_module(f"bench.sections.{name}").run(ctx)
            except Exception:
                traceback.print_exc()
                failed.append(name)
            print(f"{name}: {time.monotonic() - began:.0f} s", flush=True)
    finally:
        stack.stop()
        if django_ready:
            from bench.setup import teardown

            teardown()
        fakes.stop()
    cores, memory = os.cpu_count(), os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    print(
        f"\n{cores} cores, {memory / 2**30:.0f} GiB{shape}; "
        f"{time.monotonic() - started:.0f} s in all"
        + (" (smoke run: not a measurement)" if args.smoke else "")
    )
    print(table(rows))
    if failed:
        print(f"\nfailed sections: {', '.join(failed)} (see above and {stack.log})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
