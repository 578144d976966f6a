"""The access log, buffered: one JSON line per request, rendered in batches off the request.

Why not uvicorn's access line: it is a logging record that goes through the structlog chain
(processors, redaction, JSON rendering) inside the request, ~100 us each, about a tenth of a
cached hit. Here a request appends one tuple of what the scope already holds (no string is
built); every ``batch`` requests (or ``max_delay_s`` after the first unwritten one) the lines
are rendered to bytes with orjson, masked once per batch (``observability.logging.scrub``:
bearer strings and registered secrets) and written in one call. Same fields as the other log
lines (``timestamp``, ``level``, ``logger``, ``event`` in uvicorn's wording, ``request_id``)
plus ``duration_ms`` and ``sample_rate``.

Sampling (``sample`` < 1): only that fraction of the successful (< 400), fast (under
``slow_ms``) requests gets a line, chosen by a counter (every 1/sample-th one, no randomness);
errors and slow requests always do. Each line says the rate it was kept at, so
``sum(1 / sample_rate)`` over the lines counts the requests.
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
_WHOLE = 1_000_000
MIN_SAMPLE = 1 / _WHOLE  # one line per million requests
#: (unix time, client, method, raw path, root path, path, query, http version, status, ms,
#: request id, sample rate): the scope's own objects, no string built during the request and
#: no reference to the scope kept (held scopes would keep every request's dicts and lists
#: alive until the flush, through the collections in between).
Entry = tuple[
    float, "tuple[str, int] | None", str, "bytes | None", str, str, bytes, str,
    int, float, "str | None", float,
]  # fmt: skip


def _event(entry: Entry) -> str:
    """uvicorn's access wording; the path as uvicorn writes it (quoted, with the query
    string): the request's own bytes when the server passed them (already quoted, no work)."""
    _, client, method, raw, root, path, query, version, status = entry[:9]
    target = raw.decode("latin-1") if raw and not root else quote(root + path)
    if query:
        target = f"{target}?{query.decode('ascii', 'replace')}"
    who = f"{client[0]}:{client[1]}" if client else ""
    return f'{who} - "{method} {target} HTTP/{version}" {status}'


class AccessLog:
    """``access_log(scope, status, elapsed_ms)`` per request; ``flush()`` at shutdown."""

    def __init__(
        self,
        write: Callable[[str], None],
        *,
        json: bool = True,
        batch: int = 64,
        max_delay_s: float = 0.5,
        sample: float = 1.0,
        slow_ms: float = 100.0,
    ) -> None:
        if not MIN_SAMPLE <= sample <= 1.0:
            raise ValueError(f"sample must be in [{MIN_SAMPLE}, 1], not {sample}")
        self.write = write
        self.json = json
        self.batch = batch
        self.max_delay_s = max_delay_s
        self.sample = sample
        self.slow_ms = slow_ms
        # A counter in millionths (exact: ten steps of 0.1 make exactly one line), started so
        # that the first sampled request is logged.
        self._step = round(sample * _WHOLE)
        self._credit = _WHOLE - self._step
        self._entries: list[Entry] = []
        self._timer: asyncio.TimerHandle | None = None

    def __call__(self, scope: Scope, status: int, elapsed_ms: float) -> None:
        rate = 1.0
        if self.sample < 1.0 and status < 400 and elapsed_ms < self.slow_ms:
            rate = self.sample
            self._credit += self._step
            if self._credit < _WHOLE:
                return
            self._credit -= _WHOLE
        entries = self._entries
        entries.append((
            time.time(), scope.get("client"), scope["method"], scope.get("raw_path"),
            scope.get("root_path", ""), scope["path"], scope.get("query_string", b""),
            scope.get("http_version", "1.1"), status, elapsed_ms, correlation_id.get(), rate,
        ))  # fmt: skip
        if len(entries) >= self.batch:
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
            text = _json_lines(entries).decode() if self.json else _text_lines(entries)
            self.write(scrub(text))


def _json_lines(entries: list[Entry]) -> bytes:
    """The batch as JSON lines, one ``dumps`` per line, joined once."""
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    lines = []
    for entry in entries:
        elapsed_ms, request_id, rate = entry[9], entry[10], entry[11]
        line = {
            "timestamp": _timestamp(entry[0]),
            "level": "info",
            "logger": LOGGER,
            "event": _event(entry),
            "request_id": request_id,
            "duration_ms": round(elapsed_ms, 3),
            "sample_rate": rate,
        }
        lines.append(dumps(line, option=newline))
    return b"".join(lines)


def _text_lines(entries: list[Entry]) -> str:
    """The batch in the console renderer's shape."""
    return "".join(
        f"{_timestamp(entry[0])} [info     ] {_event(entry)} [{LOGGER}] "
        f"duration_ms={entry[9]:.3f} request_id={entry[10]} sample_rate={entry[11]}\n"
        for entry in entries
    )


@lru_cache(maxsize=4)
def _second(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _timestamp(unix: float) -> str:
    """ISO 8601 in UTC with microseconds, as structlog's ``TimeStamper`` writes it (the
    seconds part is formatted once per second)."""
    second, micro = divmod(round(unix * 1e6), 1_000_000)
    return f"{_second(second)}.{micro:06d}Z"
