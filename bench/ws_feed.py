"""Benchmark of the realtime feed: many authenticated sockets on ONE daphne process.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/ws_feed.py

It creates throwaway users, starts one daphne server on a free loopback port, opens
``--sockets`` authenticated ``/ws/jobs`` sockets (one user each), then a separate publisher
process calls ``publish_job_event`` for one job per user, ``--rounds`` times (progress 1, 2, ...),
at ``--rate`` events a second, through Redis. It prints the delivery latency (publish call to
frame received by the client) p50/p99/max and the server's resident memory, then cleans up.
Everything stops by itself within ``--time-limit`` seconds.

The database must be migrated. Job rows are not written: this measures the channel layer, the
server and the sockets, not the pipeline. Both ends run on this machine, so the client process
(one asyncio loop for all sockets) is part of what is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The server and the publisher read the same settings as this process.
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "gateway.settings",
    "DEBUG": "false",
    "SECURE_SSL_REDIRECT": "false",
    "LOG_LEVEL": "WARNING",
    "JWT_SECRET": "bench-jwt-secret-that-is-long-enough-for-hs256",
    "ENCRYPTION_KEY": "bench-encryption-key",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=10, help="events per socket")
    parser.add_argument("--rate", type=int, default=500, help="events published per second")
    parser.add_argument("--time-limit", type=float, default=180)
    args = parser.parse_args()
    for name, value in BENCH_ENV.items():
        os.environ.setdefault(name, value)
    if not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL (migrated) and REDIS_URL: events go from process to process.")

    import django

    django.setup()
    from accounts.models import User

    tag = uuid.uuid4().hex[:8]
    users = User.objects.bulk_create(
        User(email=f"bench-{tag}-{i}@bench.invalid", password="!")  # noqa: S106 - unusable
        for i in range(args.sockets)
    )
    try:
        server = _start_server()
        try:
            asyncio.run(asyncio.wait_for(_bench(args, users, server), timeout=args.time_limit))
        finally:
            server.terminate()
            server.wait(timeout=10)
    finally:
        User.objects.filter(email__startswith=f"bench-{tag}-").delete()


async def _bench(args: argparse.Namespace, users: list, server: subprocess.Popen) -> None:
    from rest_framework_simplejwt.tokens import AccessToken
    from websockets.asyncio.client import connect

    url = f"ws://127.0.0.1:{server.port}/ws/jobs?token="
    idle_rss = _rss_kib(server.pid)
    gate = asyncio.Semaphore(50)  # below daphne's listen backlog

    async def open_socket(user: object) -> object:
        async with gate:
            ws = await connect(url + str(AccessToken.for_user(user)), open_timeout=60)
            assert json.loads(await ws.recv())["type"] == "auth:ok"
            return ws

    started = time.monotonic()
    sockets = await asyncio.gather(*(open_socket(user) for user in users))
    connect_seconds = time.monotonic() - started
    connected_rss = _rss_kib(server.pid)

    received: dict[tuple[str, int], float] = {}

    async def listen(ws: object) -> None:
        async for frame in ws:
            arrived = time.time()
            event = json.loads(frame)
            received[event["jobId"], event["progress"]] = arrived

    listeners = [asyncio.create_task(listen(ws)) for ws in sockets]
    cpu_before = _cpu_seconds(server.pid)
    jobs = [(str(user.pk), str(uuid.uuid4())) for user in users]
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    publisher = context.Process(target=_publish, args=(jobs, args.rounds, args.rate, results))
    publisher.start()
    sent: dict[tuple[str, int], float] = await asyncio.to_thread(results.get)
    publisher.join()
    deadline = time.monotonic() + 10
    while len(received) < len(sent) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    peak_rss = _peak_rss_kib(server.pid)
    server_cpu = _cpu_seconds(server.pid) - cpu_before

    for ws in sockets:
        await ws.close()
    await asyncio.gather(*listeners, return_exceptions=True)

    latencies = sorted(
        (received[key] - sent_at) * 1000 for key, sent_at in sent.items() if key in received
    )
    quantiles = statistics.quantiles(latencies, n=100)
    span = max(received.values()) - min(sent.values())
    print(f"sockets           {len(sockets)} on one daphne process (pid {server.pid})")
    print(f"connect           {connect_seconds:.1f} s for all sockets (auth included)")
    print(f"events            {len(sent)} published, {len(latencies)} delivered")
    print(f"rate              {args.rate}/s published, {len(latencies) / span:.0f}/s delivered")
    print(f"latency p50       {quantiles[49]:.1f} ms")
    print(f"latency p99       {quantiles[98]:.1f} ms")
    print(f"latency max       {latencies[-1]:.1f} ms")
    print(f"server CPU        {server_cpu:.1f} s while delivering")
    print(
        f"server RSS        idle {idle_rss / 1024:.0f} MiB, "
        f"{len(sockets)} sockets {connected_rss / 1024:.0f} MiB, peak {peak_rss / 1024:.0f} MiB"
    )


def _publish(jobs: list[tuple[str, str]], rounds: int, rate: int, results: object) -> None:
    """Publisher process: one ``job:update`` per job per round, paced at ``rate`` a second."""
    import django

    django.setup()
    from uploads.events import publish_job_event
    from uploads.models import Job, JobStatus

    # Warm up this process's event loop and Redis pool on a group nobody listens to.
    publish_job_event(
        Job(id=uuid.uuid4(), user_id=uuid.uuid4(), status=JobStatus.RUNNING, progress=1)
    )
    sent: dict[tuple[str, int], float] = {}
    interval = 1 / rate
    next_at = time.monotonic()
    for progress in range(1, rounds + 1):
        for user_id, job_id in jobs:
            job = Job(id=job_id, user_id=user_id, status=JobStatus.RUNNING, progress=progress)
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            next_at += interval
            sent[job_id, progress] = time.time()
            publish_job_event(job)
    results.put(sent)


class _Server(subprocess.Popen):
    port: int


def _start_server() -> _Server:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = _Server(
        [
            sys.executable,
            "-m",
            "daphne",
            "-v",
            "0",  # no access log
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "gateway.asgi:application",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    server.port = port
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("daphne exited during start-up")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    sys.exit("daphne did not start listening")


def _rss_kib(pid: int) -> int:
    return _proc_status(pid, "VmRSS")


def _peak_rss_kib(pid: int) -> int:
    return _proc_status(pid, "VmHWM")


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_status(pid: int, field: str) -> int:
    """A memory figure of ``pid`` in KiB, from Linux's /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


if __name__ == "__main__":
    main()
