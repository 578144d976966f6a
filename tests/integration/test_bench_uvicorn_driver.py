"""The observability scenario's server (``bench.uvicorn_driver``): uvicorn's protocol on a
loopback socket answers every request of an exchange on one keep-alive connection."""

from __future__ import annotations

from starlette.types import Receive, Scope, Send

from bench.uvicorn_driver import LoopbackServer


async def _app(scope: Scope, receive: Receive, send: Send) -> None:
    status = 200 if scope["path"] == "/ok" else 404
    body = b"x" * (70_000 if scope["query_string"] == b"big" else 3)
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def test_every_request_of_an_exchange_is_answered() -> None:
    async with LoopbackServer(_app) as server:
        assert await server.exchange(b"GET /ok HTTP/1.1\r\nhost: t\r\n\r\n", 5) == [200] * 5
        assert await server.exchange(b"GET /ok?big HTTP/1.1\r\nhost: t\r\n\r\n", 3) == [200] * 3
        assert await server.exchange(b"GET /no HTTP/1.1\r\nhost: t\r\n\r\n", 2) == [404] * 2
