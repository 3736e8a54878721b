"""Print one plain line once the server answers: where the API, its docs and the admin are,
and how to make the first operator account (started in the background by ``make run``).

Polls ``/health`` (any HTTP answer means the server is serving) and exits after printing, when
the server process it was started beside goes away, or after ``--timeout`` seconds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import urllib.error
import urllib.request

FIRST_OPERATOR = ".venv/bin/python manage.py createsuperuser"


def ready_line(base_url: str) -> str:
    return (
        f"Gateway is ready: API {base_url}/api/v1, docs {base_url}/api/docs, "
        f"admin {base_url}/admin/ (first operator account: {FIRST_OPERATOR})"
    )


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own loopback address
            return True
    except urllib.error.HTTPError:
        return True  # 503 "degraded" is still a server answering
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "4000")))
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--interval", type=float, default=0.5)
    args = parser.parse_args(argv)

    # A server bound to every address is reached, and shown, on the loopback one.
    host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host  # noqa: S104
    base_url = f"http://{host}:{args.port}"
    parent = os.getppid()
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if _answers(f"{base_url}/health"):
            print(ready_line(base_url), flush=True)
            return 0
        if os.getppid() != parent:  # the server we were started beside has exited
            return 1
        time.sleep(args.interval)
    print(f"Gateway did not answer on {base_url} within {args.timeout:.0f} s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
