"""The streaming ceiling: the same bytes copied from the asset host to a sink over loopback,
in ``UPLOAD_CHUNK_SIZE`` pieces, by a process of its own, with nothing else done to them.

    python -m bench.plain_copy SOURCE_URL SINK_URL CHUNK_BYTES

Prints ``{"seconds": ..., "bytes": ..., "sha256": ...}`` (the sink's digest).
"""

from __future__ import annotations

import http.client
import json
import sys
import time
from urllib.parse import urlsplit


def _connection(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)


def copy(source: str, sink: str, chunk: int) -> dict:
    started = time.monotonic()
    reader = _connection(source)
    reader.request("GET", urlsplit(source).path)
    response = reader.getresponse()
    size = int(response.headers["Content-Length"])
    writer = _connection(sink)
    writer.putrequest("PUT", "/")
    writer.putheader("Content-Length", str(size))
    writer.endheaders()
    copied = 0
    while data := response.read(chunk):
        writer.send(data)
        copied += len(data)
    digest = writer.getresponse().read().decode()
    return {"seconds": time.monotonic() - started, "bytes": copied, "sha256": digest}


if __name__ == "__main__":
    print(json.dumps(copy(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
