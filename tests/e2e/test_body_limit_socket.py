"""Body limits against a real ``slotwise serve`` over a raw socket: an oversize body, declared
or streamed (chunked), is refused without the server reading it, so its memory (RSS) does not
grow by the body's size; anonymous senders still get 401."""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import psutil
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests import servers

MIB = 1024 * 1024
BODY = 16 * MIB  # what a client tries to send
CHUNK = 64 * 1024
ADMIN_LINE = "Authorization: Bearer test-admin-token\r\n"


@dataclass(frozen=True)
class Server:
    port: int
    pid: int


@pytest.fixture(scope="module")
def server(_engine: AsyncEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One worker (uvicorn serves in the spawned process itself) on the test database
    (migrated by ``_engine``), the cache off: no Redis is touched."""
    port = servers.free_port()
    env = {**os.environ, "CACHE_ENABLED": "false", "SLOTWISE_LOG_LEVEL": "WARNING"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = (tmp_path_factory.mktemp("serve") / "server.log").open("wb")
    process = servers.spawn(
        [sys.executable, "-m", "slotwise.cli", "serve", "--workers", "1", "--port", str(port)],
        env,
        log,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start within 30 s")
        yield Server(port, process.pid)
    finally:
        servers.stop(process)
        log.close()


def server_rss(server: Server) -> int:
    """Resident memory of the server process and its children."""
    proc = psutil.Process(server.pid)
    return int(proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(True)))


def status_of(sock: socket.socket) -> tuple[int, bytes]:
    """The status code and the bytes of the response (read until the server closes or 5 s)."""
    data = b""
    sock.settimeout(5)
    with contextlib.suppress(OSError):
        while b"\r\n\r\n" not in data or b'"error"' not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return (int(data.split(b" ", 2)[1]) if data else 0), data


def push(sock: socket.socket, total: int, framed: bool) -> int:
    """Send up to ``total`` body bytes until the server stops taking them; returns bytes sent."""
    sent = 0
    payload = b" " * CHUNK
    frame = f"{CHUNK:x}\r\n".encode() + payload + b"\r\n" if framed else payload
    sock.settimeout(2)  # once the server stops reading, the send buffers fill up
    with contextlib.suppress(OSError):
        while sent < total:
            sock.sendall(frame)
            sent += CHUNK
    return sent


def request(port: int, auth: str, framed: bool) -> tuple[int, bytes]:
    length = "Transfer-Encoding: chunked\r\n" if framed else f"Content-Length: {BODY}\r\n"
    head = (
        f"POST /api/cities HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}"
        f"Content-Type: application/json\r\n{length}\r\n"
    )
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(head.encode())
        push(sock, BODY, framed)
        return status_of(sock)


@pytest.mark.parametrize("framed", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize(
    ("auth", "status", "code"),
    [
        (ADMIN_LINE, 413, b"payload_too_large"),
        ("", 401, b"unauthorized"),
        ("Authorization: Bearer nope\r\n", 401, b"unauthorized"),
    ],
    ids=["admin", "anonymous", "unknown-token"],
)
def test_oversize_body_is_refused_without_growing_memory(
    server: Server, framed: bool, auth: str, status: int, code: bytes
) -> None:
    request(server.port, ADMIN_LINE, framed)  # warm: the first request builds what it caches
    before = server_rss(server)
    for _ in range(3):
        got, body = request(server.port, auth, framed)
        assert got == status, body[:300]
        assert code in body
    grown = server_rss(server) - before
    assert grown < BODY // 4, f"RSS grew by {grown} bytes for three {BODY}-byte bodies"


def test_a_body_under_the_limit_still_works(server: Server) -> None:
    response = httpx.post(
        f"http://127.0.0.1:{server.port}/api/cities",
        content=b'{"name": "' + b"x" * 500 + b'", "timezone": "UTC"}',
        headers={"Authorization": "Bearer test-admin-token", "Content-Type": "application/json"},
    )
    assert response.status_code == 422  # parsed (the name is too long), not refused unread
    assert response.json()["error"]["code"] == "validation_error"
