"""The edge layer (``api.middleware.edge``) around hand-written fakes: what the fast path is
handed and what is recorded when it answers, and the request id's rules on the way to the
app. No server, no database."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from slotwise.api.middleware.edge import BodyLimits, EdgeMiddleware, Header, RequestIds
from slotwise.api.observability import REQUEST_ID_HEADER, valid_request_id
from slotwise.observability.metrics import MetricsCollector

ROUTE = "/api/recruiters/{recruiter_id}"
HEX_ID = re.compile(rb"[0-9a-f]{32}")


class _Route:
    path = ROUTE


class FakeFastPath:
    """Answers 200 with one header, or leaves the request (0), or raises."""

    def __init__(self, answer: bool = True, error: Exception | None = None) -> None:
        self.answer = answer
        self.error = error
        self.calls: list[tuple[Send, Header | None]] = []

    async def __call__(self, scope: Scope, send: Send, extra: Header | None) -> int:
        self.calls.append((send, extra))
        if self.error is not None:
            raise self.error
        if not self.answer:
            return 0
        scope["route"] = _Route
        headers = [(b"content-length", b"2")] + ([extra] if extra is not None else [])
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"{}"})
        return 200


class FakeApp:
    """Records the request's headers and answers ``status`` (or raises after answering)."""

    def __init__(self, status: int = 201, raise_after: bool = False) -> None:
        self.status = status
        self.raise_after = raise_after
        self.seen_headers: list[tuple[bytes, bytes]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.seen_headers = list(scope["headers"])
        scope["route"] = _Route
        await send({"type": "http.response.start", "status": self.status, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        if self.raise_after:
            raise RuntimeError("after the answer")


class Sent:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        return list(self.messages[0]["headers"])


async def _receive() -> Message:
    return {"type": "http.request", "body": b""}


def _edge(
    app: Any, fast_path: FakeFastPath | None, collector: MetricsCollector | None
) -> EdgeMiddleware:
    observed: dict[str, Any] = {}
    if collector is not None:
        observed = {
            "request_ids": RequestIds(REQUEST_ID_HEADER, valid_request_id),
            "metrics": True,
            "collector": collector,
        }
    limits = BodyLimits(default=1024, routes={}, authenticated=lambda scope: True)
    return EdgeMiddleware(app, body_limits=limits, fast_path=fast_path, **observed)


def _scope(*headers: tuple[bytes, bytes]) -> Scope:
    return {"type": "http", "method": "GET", "path": "/api/recruiters/1", "headers": [*headers]}


def _count(collector: MetricsCollector, key: str = f"GET {ROUTE}") -> tuple[int, int]:
    endpoint = collector.get_summary()["endpoints"].get(key, {"count": 0, "errors": 0})
    return endpoint["count"], endpoint["errors"]


@pytest.fixture
def collector() -> MetricsCollector:
    return MetricsCollector(100.0)


async def test_a_fast_answer_carries_a_new_id_and_is_recorded(collector: MetricsCollector) -> None:
    fast, app, sent = FakeFastPath(), FakeApp(), Sent()
    await _edge(app, fast, collector)(_scope(), _receive, sent)
    [(given_send, extra)] = fast.calls
    assert given_send is sent  # no wrapper around a fast answer
    assert extra is not None and extra[0] == b"x-request-id" and HEX_ID.fullmatch(extra[1])
    assert sent.headers[-1] == extra
    assert app.seen_headers == []  # the app never ran
    assert _count(collector) == (1, 0)


async def test_a_valid_client_id_is_handed_to_the_fast_path(collector: MetricsCollector) -> None:
    fast, sent = FakeFastPath(), Sent()
    await _edge(FakeApp(), fast, collector)(_scope((b"x-request-id", b"mine-1")), _receive, sent)
    assert fast.calls[0][1] == (b"x-request-id", b"mine-1")
    assert sent.headers.count((b"x-request-id", b"mine-1")) == 1


async def test_without_observability_nothing_is_added_or_recorded() -> None:
    fast, sent = FakeFastPath(), Sent()
    edge = _edge(FakeApp(), fast, None)
    assert not edge.observed and edge.collector is None
    await edge(_scope(), _receive, sent)
    assert fast.calls == [(sent, None)]
    assert sent.headers == [(b"content-length", b"2")]


async def test_a_fast_path_that_raises_is_recorded_as_a_500(collector: MetricsCollector) -> None:
    fast = FakeFastPath(error=RuntimeError("boom"))
    with pytest.raises(RuntimeError):
        await _edge(FakeApp(), fast, collector)(_scope(), _receive, Sent())
    summary = collector.get_summary()
    assert sum(e["errors"] for e in summary["endpoints"].values()) == 1


async def test_a_request_left_to_the_app_gets_the_id_on_both_sides(
    collector: MetricsCollector,
) -> None:
    fast, app, sent = FakeFastPath(answer=False), FakeApp(status=201), Sent()
    await _edge(app, fast, collector)(_scope((b"host", b"t")), _receive, sent)
    [echoed] = [h for h in sent.headers if h[0] == b"x-request-id"]
    assert app.seen_headers == [(b"host", b"t"), echoed]  # as asgi-correlation-id writes it
    assert sent.messages[0]["status"] == 201
    assert _count(collector) == (1, 0)


async def test_an_invalid_client_id_is_replaced_everywhere(collector: MetricsCollector) -> None:
    app, sent = FakeApp(), Sent()
    bad = (b"x-request-id", b"a\tb")
    await _edge(app, FakeFastPath(answer=False), collector)(_scope(bad), _receive, sent)
    [echoed] = [h for h in sent.headers if h[0] == b"x-request-id"]
    assert HEX_ID.fullmatch(echoed[1])
    assert bad not in app.seen_headers and app.seen_headers == [echoed]


async def test_the_status_sent_is_recorded_when_the_app_raises_after_it(
    collector: MetricsCollector,
) -> None:
    app = FakeApp(status=200, raise_after=True)
    with pytest.raises(RuntimeError):
        await _edge(app, FakeFastPath(answer=False), collector)(_scope(), _receive, Sent())
    assert _count(collector) == (1, 0)  # a 200, not a 500
