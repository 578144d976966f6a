"""An ASGI app served by uvicorn's own HTTP protocol on a loopback socket, driven by a client
in another process, so the event loop's thread does what a worker does per request and
nothing else: wake up on the socket, parse the request, run the app, write the response.

Why: a figure measured through an HTTP client in the same thread (httpx's
``ASGITransport``) is mostly the client's own work (~150 µs of URL parsing and response
objects per call, plus its parsing of every header the server adds), and one measured on
the bare ASGI call leaves out the server's share of a request (HTTP parsing, the socket's
system calls). Here ``time.thread_time()`` read on the loop's thread is the server's CPU
time for the requests, user and kernel, whatever else the machine runs. The protocol is the
``HttpToolsProtocol`` that ``slotwise serve`` runs (``proxy_headers=False``, no uvicorn
access log).

Why another process, not a thread: a client thread shares the server's GIL, so every
response paid a GIL hand-over (futex calls) that a worker serving other processes never
pays; that constant, in both variants of a comparison, made the server's per-request CPU
look larger and a difference between variants look smaller than in production. The client
(``python -m bench.loopback_client``) is driven over a pipe, once per exchange.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from email.utils import formatdate
from pathlib import Path

from starlette.types import ASGIApp
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

#: Where ``python -m bench.loopback_client`` finds the ``bench`` package.
_ROOT = Path(__file__).resolve().parent.parent


class LoopbackServer:
    """``async with LoopbackServer(app) as server``: ``await server.exchange(raw, n)`` sends
    the request ``raw`` ``n`` times, one after the other on one keep-alive connection (from
    the client process), and returns the status codes."""

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
        self._client: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> LoopbackServer:
        logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
        self._server = await asyncio.get_running_loop().create_server(
            lambda: HttpToolsProtocol(self._config, self._state, app_state={}), "127.0.0.1", 0
        )
        port = self._server.sockets[0].getsockname()[1]
        self._client = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.loopback_client", str(port),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=_ROOT,
        )  # fmt: skip
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            assert self._client.stdin is not None
            self._client.stdin.close()
            await self._client.wait()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def exchange(self, raw: bytes, n: int) -> list[int]:
        """The statuses of ``n`` requests ``raw``, sent one after the other by the client."""
        client = self._client
        assert client is not None, "use LoopbackServer as an async context manager"
        assert client.stdin is not None and client.stdout is not None
        client.stdin.write(b"%d %s\n" % (n, raw.hex().encode()))
        await client.stdin.drain()
        line = await client.stdout.readline()
        if not line:
            raise ConnectionError(f"the client exited ({await client.wait()})")
        return [int(status) for status in line.split()]
