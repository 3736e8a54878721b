"""Bodies over a route's limit are refused at the edge, before they are read or spooled.

Against a real server (started as `make run` starts it): a body far over the limit is
streamed to the upload PUT (bad token, then over the signed size) and to a JSON endpoint; the
refusal must arrive while the client is still sending, and no file the server holds open
(Django's spooled body, the upload's temporary file) may grow past the limit.
"""

from __future__ import annotations

import os
import select
import socket
import stat
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.serving.servers import Server, embedded_database_url, started

MIB = 1024 * 1024
FAR_OVER = 200 * MIB
CHUNK = 64 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Server:
    workdir = tmp_path_factory.mktemp("body-limits")
    with started(
        "make run",
        workdir,
        ENV_FILE=str(workdir / ".env"),
        DATABASE_URL=embedded_database_url(workdir),
        UPLOAD_EMBEDDED_RUNNER="false",
    ) as running:
        yield running


class OpenFiles:
    """The largest regular file the server's processes hold open (database files aside)."""

    def __init__(self, server: Server):
        self.server = server
        self.largest = 0

    def sample(self) -> None:
        for pid in self.server.worker_pids():
            fd_dir = Path(f"/proc/{pid}/fd")
            try:
                fds = list(fd_dir.iterdir())
            except (FileNotFoundError, PermissionError):
                continue
            for fd in fds:
                try:
                    target = os.readlink(fd)
                    info = fd.stat()
                except OSError:
                    continue
                if stat.S_ISREG(info.st_mode) and ".sqlite3" not in target:
                    self.largest = max(self.largest, info.st_size)


def stream(server: Server, method: str, path: str, headers: dict[str, str]) -> tuple[int, int]:
    """Send ``FAR_OVER`` bytes (chunked unless a Content-Length is given) until the server
    answers; return (bytes sent, status). Samples the server's open files meanwhile."""
    files = OpenFiles(server)
    url = urlsplit(server.base_url)
    chunked = "Content-Length" not in headers
    head = f"{method} {path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else "\r\n"
    payload = b"\0" * CHUNK
    frame = f"{CHUNK:x}\r\n".encode() + payload + b"\r\n" if chunked else payload
    sent = 0
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        # A small send buffer keeps what is "sent" close to what the server has received.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, CHUNK)
        sock.sendall(head.encode())
        while sent < FAR_OVER:
            if select.select([sock], [], [], 0)[0]:
                break  # the answer is there
            try:
                sock.sendall(frame)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += CHUNK
            if sent % MIB == 0:
                files.sample()
        files.sample()
        answer = sock.recv(65536).decode(errors="replace")
    stream.largest_open_file = files.largest  # type: ignore[attr-defined]
    return sent, int(answer.split(" ", 2)[1])


def test_a_bad_upload_token_is_refused_before_the_body_is_read(server):
    # when a 200 MiB PUT arrives with a forged token, its length announced
    sent, status = stream(
        server,
        "PUT",
        "/api/v1/upload/blob/forged-token",
        {"Content-Type": "video/mp4", "Content-Length": str(FAR_OVER)},
    )

    # then the 403 arrives while the client is still sending (what it has "sent" includes
    # the kernel's socket buffers), and nothing was spooled
    assert status == 403
    assert sent < 4 * MIB
    assert stream.largest_open_file <= MIB  # type: ignore[attr-defined]


@pytest.mark.parametrize("announced", [True, False], ids=["content-length", "chunked"])
def test_a_json_body_over_one_mib_is_refused_while_it_streams(server, announced):
    headers = {"Content-Type": "application/json"}
    if announced:
        headers["Content-Length"] = str(FAR_OVER)

    # when 200 MiB are sent to a JSON endpoint
    sent, status = stream(server, "POST", "/auth/login", headers)

    # then 413 comes after at most about 1 MiB, and the server never held more than that
    assert status == 413
    assert sent < (4 if announced else 6) * MIB
    assert stream.largest_open_file <= MIB  # type: ignore[attr-defined]


def test_an_upload_over_its_signed_size_is_refused_and_leaves_no_file_past_it(server, tmp_path):
    # given a presigned upload of 3 MiB
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        signup = client.post(
            "/auth/signup",
            json={"email": "limits@example.com", "password": "a long unusual pass 42"},
        )
        token = signup.json()["access"]
        presign = client.post(
            "/api/v1/upload/presign",
            json={"filename": "a.mp4", "contentType": "video/mp4", "sizeBytes": 3 * MIB},
            headers={"Authorization": f"Bearer {token}"},
        )
    path = urlsplit(presign.json()["uploadUrl"]).path

    # when 200 MiB are streamed to it without a length
    sent, status = stream(server, "PUT", path, {"Content-Type": "video/mp4"})

    # then 413 comes soon after the signed size, and no file grew past it
    assert status == 413
    assert sent < 9 * MIB
    assert stream.largest_open_file <= 3 * MIB  # type: ignore[attr-defined]
