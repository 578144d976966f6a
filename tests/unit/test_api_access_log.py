"""The buffered access log: uvicorn's wording, the request id, secrets masked, batched."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgi_correlation_id.context import correlation_id

from slotwise.api.access_log import AccessLog
from slotwise.api.observability import access_log_for
from slotwise.observability.logging import register_secrets, scrub
from slotwise.settings import Settings


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
    assert [line["sample_rate"] for line in lines] == [1.0, 1.0, 1.0]


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


def _lines(written: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for text in written for line in text.splitlines()]


def test_every_line_says_the_rate_it_was_kept_at() -> None:
    written: list[str] = []
    log = AccessLog(written.append, batch=1)
    log(_scope(), 200, 1.0)
    assert _lines(written)[0]["sample_rate"] == 1.0


def test_sampling_keeps_a_fixed_share_of_fast_successes_and_every_error_and_slow_request() -> None:
    written: list[str] = []
    log = AccessLog(written.append, batch=1000, sample=0.25, slow_ms=100.0)
    for _ in range(100):
        log(_scope(), 200, 1.0)
    for status in (400, 404, 500, 503):
        log(_scope(), status, 1.0)
    log(_scope("/api/slow"), 200, 100.0)  # at the threshold counts as slow
    log(_scope("/api/slower"), 304, 2500.0)
    log.flush()
    lines = _lines(written)
    fast = [line for line in lines if line["event"].endswith(" 200") and line["duration_ms"] == 1.0]
    assert len(fast) == 25  # a counter, not chance: exactly one in four
    assert {line["sample_rate"] for line in fast} == {0.25}
    kept = [line for line in lines if line not in fast]
    assert [line["event"].rsplit(" ", 1)[1] for line in kept] == [
        "400", "404", "500", "503", "200", "304",
    ]  # fmt: skip
    assert {line["sample_rate"] for line in kept} == {1.0}
    # The lines give back the number of requests: sum(1 / sample_rate).
    assert sum(1 / float(line["sample_rate"]) for line in lines) == 106


@pytest.mark.parametrize(("sample", "kept"), [(0.1, 100), (0.3, 300), (1.0, 1000)])
def test_a_rate_keeps_exactly_that_share(sample: float, kept: int) -> None:
    written: list[str] = []
    log = AccessLog(written.append, batch=10_000, sample=sample)
    for _ in range(1000):
        log(_scope(), 200, 1.0)
    log.flush()
    assert len(_lines(written)) == kept  # no drift from adding 0.1 up in floating point


def test_the_first_request_is_logged_when_sampling() -> None:
    written: list[str] = []
    log = AccessLog(written.append, batch=1, sample=0.01)
    log(_scope(), 200, 1.0)
    log(_scope(), 200, 1.0)
    assert len(_lines(written)) == 1


@pytest.mark.parametrize("sample", [0.0, -0.1, 1e-7, 1.5])
def test_a_sample_rate_outside_0_1_is_refused(sample: float) -> None:
    with pytest.raises(ValueError, match="sample"):
        AccessLog(print, sample=sample)


def test_the_text_form_says_the_rate_too() -> None:
    written: list[str] = []
    log = AccessLog(written.append, json=False, batch=1, sample=0.5)
    log(_scope(), 500, 1.0)
    assert "sample_rate=1.0" in written[0]


def test_the_access_log_follows_the_settings() -> None:
    settings = Settings(
        slotwise_access_log_sample=0.2, slow_query_threshold_ms=250.0, slotwise_log_json=True
    )
    log = access_log_for(settings, print)
    assert (log.sample, log.slow_ms, log.json) == (0.2, 250.0, True)


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: BeArEr abc.def-ghi",
        "basic dXNlcjpwYXNz",
        "caf\u00e9 Bearer abc.def",  # not ASCII: the pattern always runs
        "ba\u017fic dXNlcjpwYXNz",  # U+017F folds to s: only the pattern sees it
    ],
)
def test_scrub_masks_credentials_whatever_the_case(text: str) -> None:
    masked = scrub(text)
    assert "***" in masked and "abc.def" not in masked and "dXNlcjpwYXNz" not in masked
