"""Peak memory of a worker uploading a 1 GiB asset to the fake YouTube upload endpoint.

    .venv/bin/python bench/upload_memory.py [--size-mib 1024] [--chunk-mib 8]

The parent process serves the asset (generated on the fly from a 1 MiB random block, never
stored) and the fake YouTube endpoint; a child process plays the worker: it sets Django up on a
throwaway SQLite database and runs the real ``uploads.services.pipeline.run_job`` on one job.
The child reports its peak RSS (``ru_maxrss``) before and after the upload. Not part of the
test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BLOCK = os.urandom(1024 * 1024)
_RANGE = re.compile(r"bytes=(\d+)-$")


def serve_generated_asset(size: int):
    """An asset server whose body is BLOCK repeated up to ``size`` bytes, with ranges."""
    from tests.fakes.asset_server import QuietHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            match = _RANGE.fullmatch(self.headers.get("Range", ""))
            start = int(match.group(1)) if match else 0
            self.send_response(206 if match else 200)
            if match:
                self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
            self.send_header("Content-Length", str(size - start))
            self.end_headers()
            position = start
            try:
                while position < size:
                    offset = position % len(BLOCK)
                    piece = BLOCK[offset : offset + min(len(BLOCK) - offset, size - position)]
                    self.wfile.write(piece)
                    position += len(piece)
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = QuietHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def child() -> None:
    import resource

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from billing.services import plans_seed
    from channels_app.models import Channel, ChannelStatus
    from core import crypto
    from uploads.models import Job
    from uploads.services.pipeline import run_job

    plans_seed()
    from accounts.models import User

    user = User.objects.create_user("bench@example.com", None)
    channel = Channel.objects.create(
        user=user, platform="youtube", provider_channel_id="UCbench", status=ChannelStatus.ACTIVE
    )
    channel.refresh_token_encrypted = crypto.encrypt("bench", associated_data=str(channel.id))
    channel.save(update_fields=["refresh_token_encrypted"])
    job = Job.objects.create(
        user=user, channel=channel, platform="youtube", asset_url=os.environ["BENCH_ASSET_URL"],
        title="bench",
    )  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    outcome = run_job(job_id=job.pk)
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    job.refresh_from_db()
    print(
        json.dumps(
            {
                "status": outcome.status,
                "error": job.error,
                "peak_rss_before_mib": round(before / 1024, 1),
                "peak_rss_after_mib": round(after / 1024, 1),
                "seconds": round(elapsed, 1),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--chunk-mib", type=int, default=8)
    args = parser.parse_args()
    size = args.size_mib * 1024 * 1024

    from tests.providers.youtube.fake_upload import FakeYouTubeUpload

    asset = serve_generated_asset(size)
    asset_host = f"127.0.0.1:{asset.server_address[1]}"
    with FakeYouTubeUpload() as fake, tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "gateway.settings",
            "DEBUG": "true",
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "REDIS_URL": "",
            "ENV_FILE": os.devnull,
            "YOUTUBE_API_URL": fake.url,
            "GOOGLE_OAUTH_TOKEN_URL": f"{fake.url}/token",
            "YOUTUBE_CLIENT_ID": "bench",
            "YOUTUBE_CLIENT_SECRET": "bench",
            "OUTBOUND_ALLOWED_HOSTS": asset_host,
            "BENCH_ASSET_URL": f"http://{asset_host}/asset",
            "UPLOAD_CHUNK_SIZE": str(args.chunk_mib * 1024 * 1024),
            "LOG_LEVEL": "WARNING",
        }
        result = subprocess.run(
            [sys.executable, __file__, "--child"], cwd=ROOT, env=env, capture_output=True,
            text=True, check=True,
        )  # fmt: skip
        report = json.loads(result.stdout.strip().splitlines()[-1])
        report.update(
            asset_mib=args.size_mib,
            chunk_mib=args.chunk_mib,
            youtube_stored_mib=round(fake.stored_bytes() / 1024 / 1024, 1),
            youtube_received_mib=round(fake.bytes_received / 1024 / 1024, 1),
        )
    asset.shutdown()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        main()
