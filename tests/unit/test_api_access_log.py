"""The buffered access log: uvicorn's wording, the request id, secrets masked, batched."""

from __future__ import annotations

import json

from asgi_correlation_id.context import correlation_id

from slotwise.api.access_log import AccessLog
from slotwise.observability.logging import register_secrets


def _scope(path: str = "/api/slots", query: bytes = b"") -> dict[str, object]:
    return {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": query,
        "http_version": "1.1",
        "client": ("127.0.0.1", 5000),
        "root_path": "",
    }


async def test_lines_are_written_in_batches_with_the_request_id() -> None:
    written: list[str] = []
    log = AccessLog(written.append, batch=3)
    correlation_id.set("rid-1")
    log(_scope(query=b"status=free"), 200, 1.23456)
    log(_scope("/api/recruiters/1"), 404, 2.0)
    assert written == []  # buffered: nothing rendered during the requests
    log(_scope(), 500, 3.0)
    assert len(written) == 1
    lines = [json.loads(line) for line in written[0].splitlines()]
    assert [line["event"] for line in lines] == [
        '127.0.0.1:5000 - "GET /api/slots?status=free HTTP/1.1" 200',
        '127.0.0.1:5000 - "GET /api/recruiters/1 HTTP/1.1" 404',
        '127.0.0.1:5000 - "GET /api/slots HTTP/1.1" 500',
    ]
    assert {line["request_id"] for line in lines} == {"rid-1"}
    assert lines[0]["duration_ms"] == 1.235
    assert lines[0]["logger"] == "uvicorn.access" and lines[0]["level"] == "info"
    assert lines[0]["timestamp"].endswith("Z")


async def test_flush_writes_what_is_left_and_secrets_never_leave() -> None:
    written: list[str] = []
    log = AccessLog(written.append, batch=100)
    register_secrets(["very-secret-token-1"])
    log(_scope(query=b"token=very-secret-token-1"), 200, 1.0)
    log.flush()
    log.flush()  # nothing more to write
    assert len(written) == 1
    assert "very-secret-token-1" not in written[0] and "***" in written[0]


def test_the_path_is_the_requests_own_bytes_when_the_server_passes_them() -> None:
    written: list[str] = []
    log = AccessLog(written.append, batch=1)
    log({**_scope("/api/caf\u00e9"), "raw_path": b"/api/caf%C3%A9"}, 404, 1.0)
    log(_scope("/api/caf\u00e9"), 404, 1.0)  # no raw path: quoted as uvicorn does
    assert all("GET /api/caf%C3%A9 HTTP/1.1" in line for line in written)


def test_the_text_form_for_consoles() -> None:
    written: list[str] = []
    log = AccessLog(written.append, json=False, batch=1)
    log(_scope(), 200, 1.0)
    assert '"GET /api/slots HTTP/1.1" 200' in written[0] and "duration_ms=1.000" in written[0]
