"""The access log, buffered: one JSON line per request, rendered in batches off the request.

Why not uvicorn's access line: it is a logging record that goes through the structlog chain
(processors, redaction, JSON rendering) inside the request, ~100 us each, about a tenth of a
cached hit. Here a request appends one tuple; every ``batch`` requests (or ``max_delay_s``
after the first unwritten one) the lines are rendered with orjson, masked once per batch
(``observability.logging.scrub``: bearer strings and registered secrets) and written in one
call. Same fields as the other log lines (``timestamp``, ``level``, ``logger``, ``event`` in
uvicorn's wording, ``request_id``) plus ``duration_ms``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import quote

import orjson
from asgi_correlation_id.context import correlation_id
from starlette.types import Scope

from slotwise.observability.logging import scrub

LOGGER = "uvicorn.access"
#: (unix time, client, method, path with query, http version, status, ms, request id)
Entry = tuple[float, str, str, str, str, int, float, str | None]


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else ""


def _path(scope: Scope) -> str:
    """The path as uvicorn's access line writes it (quoted, with the query string); the
    request's own bytes when the server passed them (already quoted, no work)."""
    raw: bytes | None = scope.get("raw_path")
    root: str = scope.get("root_path", "")
    path = raw.decode("latin-1") if raw and not root else quote(root + scope["path"])
    query: bytes = scope.get("query_string", b"")
    return f"{path}?{query.decode('ascii', 'replace')}" if query else path


class AccessLog:
    """``access_log(scope, status, elapsed_ms)`` per request; ``flush()`` at shutdown."""

    def __init__(
        self,
        write: Callable[[str], None],
        *,
        json: bool = True,
        batch: int = 64,
        max_delay_s: float = 0.5,
    ) -> None:
        self.write = write
        self.json = json
        self.batch = batch
        self.max_delay_s = max_delay_s
        self._entries: list[Entry] = []
        self._timer: asyncio.TimerHandle | None = None

    def __call__(self, scope: Scope, status: int, elapsed_ms: float) -> None:
        entry = (
            time.time(),
            _client(scope),
            scope["method"],
            _path(scope),
            scope.get("http_version", "1.1"),
            status,
            elapsed_ms,
            correlation_id.get(),
        )
        self._entries.append(entry)
        if len(self._entries) >= self.batch:
            self.flush()
        elif self._timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self.flush()
                return
            self._timer = loop.call_later(self.max_delay_s, self.flush)

    def flush(self) -> None:
        """Render and write what is buffered (one write call)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        entries, self._entries = self._entries, []
        if entries:
            render = self._json_line if self.json else self._text_line
            self.write(scrub("".join(render(entry) for entry in entries)))

    @staticmethod
    def _event(entry: Entry) -> str:
        _, client, method, path, version, status, _, _ = entry
        return f'{client} - "{method} {path} HTTP/{version}" {status}'

    def _json_line(self, entry: Entry) -> str:
        line = {
            "timestamp": _timestamp(entry[0]),
            "level": "info",
            "logger": LOGGER,
            "event": self._event(entry),
            "request_id": entry[7],
            "duration_ms": round(entry[6], 3),
        }
        return orjson.dumps(line).decode() + "\n"

    def _text_line(self, entry: Entry) -> str:
        return (
            f"{_timestamp(entry[0])} [info     ] {self._event(entry)} [{LOGGER}] "
            f"duration_ms={entry[6]:.3f} request_id={entry[7]}\n"
        )


@lru_cache(maxsize=4)
def _second(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _timestamp(unix: float) -> str:
    """ISO 8601 in UTC with microseconds, as structlog's ``TimeStamper`` writes it (the
    seconds part is formatted once per second)."""
    second = int(unix)
    return f"{_second(second)}.{min(999_999, round((unix - second) * 1e6)):06d}Z"
