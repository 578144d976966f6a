"""A minimal HTTP/1.1 keep-alive client on asyncio streams, for the load generator.

Why not httpx: at tens of thousands of requests its per-request cost (several times the
server's for a cached GET) would cap the measured throughput at the client, not the server.
This client does exactly what the benchmark needs: GET/POST/PATCH with a JSON body, a
Content-Length or chunked response, one connection reused for every request.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import orjson


class HttpError(Exception):
    """The server closed the connection or answered something that is not HTTP/1.1."""


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes

    def json(self) -> object:
        return orjson.loads(self.body)


class Connection:
    """One keep-alive connection to ``host:port``; reopened transparently after a close."""

    def __init__(self, host: str, port: int, headers: dict[str, str] | None = None) -> None:
        self.host = host
        self.port = port
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self._fixed = f"Host: {host}:{port}\r\n{extra}".encode("latin-1")
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self._reader, self._writer

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None

    async def request(self, method: str, path: str, body: object | None = None) -> Response:
        try:
            return await self._request(method, path, body)
        except (ConnectionError, asyncio.IncompleteReadError, HttpError):
            # A server may close an idle keep-alive connection: retry once on a fresh one.
            await self.close()
            return await self._request(method, path, body)

    async def _request(self, method: str, path: str, body: object | None) -> Response:
        reader, writer = await self._open()
        payload = b"" if body is None else orjson.dumps(body)
        head = f"{method} {path} HTTP/1.1\r\n".encode("latin-1") + self._fixed
        if body is not None:
            head += b"Content-Type: application/json\r\n"
        head += f"Content-Length: {len(payload)}\r\n\r\n".encode("latin-1")
        writer.write(head + payload)
        status, length, chunked, close = await _read_head(reader)
        if chunked:
            data = await _read_chunked(reader)
        else:
            data = await reader.readexactly(length) if length else b""
        if close:
            await self.close()
        return Response(status, data)


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, int, bool, bool]:
    raw = await reader.readuntil(b"\r\n\r\n")
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise HttpError(f"not an HTTP response: {lines[0]!r}")
    length, chunked, close = 0, False, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip())
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
        elif name == "connection" and value.strip().lower() == "close":
            close = True
    return int(parts[1]), length, chunked, close


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip(), 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
