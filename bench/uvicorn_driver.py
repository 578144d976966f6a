"""An ASGI app served by uvicorn's own HTTP protocol on a loopback socket, driven by a client
in another thread, so the event loop's thread does what a worker does per request and
nothing else: wake up on the socket, parse the request, run the app, write the response.

Why: a figure measured through an HTTP client in the same thread (httpx's
``ASGITransport``) is mostly the client's own work (~150 µs of URL parsing and response
objects per call, plus its parsing of every header the server adds), and one measured on
the bare ASGI call leaves out the server's share of a request (HTTP parsing, the socket's
system calls). Here ``time.thread_time()`` read on the loop's thread is the server's CPU
time for the requests, user and kernel, whatever else the machine runs. The protocol is the
``HttpToolsProtocol`` that ``slotwise serve`` runs (``proxy_headers=False``, no uvicorn
access log).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from email.utils import formatdate

from starlette.types import ASGIApp
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState


class LoopbackServer:
    """``async with LoopbackServer(app) as server``: ``await server.exchange(raw, n)`` sends
    the request ``raw`` ``n`` times, one after the other on one keep-alive connection (from
    a worker thread), and returns the status codes."""

    def __init__(self, app: ASGIApp) -> None:
        config = Config(
            app, http="httptools", lifespan="off", access_log=False, proxy_headers=False,
            log_config=None,
        )  # fmt: skip
        config.load()
        self._config = config
        self._state = ServerState()
        # What uvicorn's server sends on every response (its date is refreshed once a second).
        date = (b"date", formatdate(usegmt=True).encode("latin-1"))
        self._state.default_headers = [date, *config.encoded_headers]
        self._server: asyncio.Server | None = None
        self._client: _Client | None = None

    async def __aenter__(self) -> LoopbackServer:
        logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
        self._server = await asyncio.get_running_loop().create_server(
            lambda: HttpToolsProtocol(self._config, self._state, app_state={}), "127.0.0.1", 0
        )
        port = self._server.sockets[0].getsockname()[1]
        self._client = await asyncio.to_thread(_Client, port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def exchange(self, raw: bytes, n: int) -> list[int]:
        assert self._client is not None, "use LoopbackServer as an async context manager"
        return await asyncio.to_thread(self._client.exchange, raw, n)


class _Client:
    """A blocking HTTP/1.1 client for responses with a ``content-length`` (all the bench's)."""

    def __init__(self, port: int) -> None:
        self._sock = socket.create_connection(("127.0.0.1", port))
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = b""

    def exchange(self, raw: bytes, n: int) -> list[int]:
        return [self._one(raw) for _ in range(n)]

    def _one(self, raw: bytes) -> int:
        self._sock.sendall(raw)
        while b"\r\n\r\n" not in self._buffer:
            self._read()
        head, _, rest = self._buffer.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            self._buffer = rest
            self._read()
            rest = self._buffer
        self._buffer = rest[length:]
        return int(head.split(b" ", 2)[1])

    def _read(self) -> None:
        chunk = self._sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self._buffer += chunk

    def close(self) -> None:
        self._sock.close()
