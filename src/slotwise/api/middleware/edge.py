"""One pure-ASGI layer for what every request needs before the app: the request id, request
metrics, the access log, body limits, the hot-path fast path and the per-request query scope.

Why one layer: five nested middlewares cost five coroutine frames, five ``send`` wrappers and
five scope walks per request (~100 us on a cached hit, more than the hit itself). Here each
piece is a few lines in one call, outermost first: request id -> metrics and access log ->
fast path -> body limit -> query scope -> app (the fast path answers only body-less requests,
so no body limit can concern it). Each piece keeps its behaviour (``asgi-correlation-id``'s
header rules, metrics by route template, the body-limit refusals, the N+1 report when the
request ends).

A request the fast path answers passes through no ``send`` wrapper: it is handed the request
id's header to send among its own and reports the status it sent. Without the observability
pieces (the benchmark's baseline) there is no timing and no wrapper at all.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from time import perf_counter

from asgi_correlation_id.context import correlation_id
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from slotwise.api.middleware.body_limit import (
    Authenticated,
    RouteLimits,
    content_length,
    refusal,
    refusal_exception,
)
from slotwise.api.middleware.metrics import EXCLUDED_PREFIXES, UNMATCHED, route_template
from slotwise.api.middleware.queries import route_name
from slotwise.api.middleware.request_id import READY_ENCODED, new_request_id_encoded
from slotwise.observability.metrics import MetricsCollector, get_metrics
from slotwise.queries.counter import query_scope
from slotwise.queries.n_plus_one import DetectorConfig, check_scope, get_detector_config
from slotwise.queries.optimization import query_cache_scope

#: asgi-correlation-id's logger and message for a refused client id (kept for log searches).
_id_log = logging.getLogger("asgi_correlation_id")
_FAILED_VALIDATION = "Generated new request ID (%s), since request header value failed validation"

#: A response header the edge adds to every answer (the request id).
Header = tuple[bytes, bytes]
#: ``fast_path(scope, send, extra_header)``: the status it answered with (the header last
#: among its headers), or 0 when it left the request to the app. It answers only requests
#: without a body, so it runs before the body limit.
FastPathFn = Callable[[Scope, Send, Header | None], Awaitable[int]]
#: ``access_log(scope, status, elapsed_ms)``: called once per finished request.
AccessLogFn = Callable[[Scope, int, float], None]


@dataclass(frozen=True)
class RequestIds:
    """The request id rules: the client's ``header`` echoed when ``valid``, else a new one."""

    header: str
    valid: Callable[[str], bool]

    @property
    def raw_name(self) -> bytes:
        return self.header.lower().encode("latin-1")


@dataclass(frozen=True)
class BodyLimits:
    default: int
    routes: RouteLimits
    authenticated: Authenticated

    def limit_for(self, scope: Scope) -> int:
        return self.routes.get((scope["method"], scope["path"]), self.default)


class EdgeMiddleware:
    """The merged layer; ``request_ids`` / ``metrics`` None leave those pieces out (the
    benchmark's baseline without observability)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        body_limits: BodyLimits,
        request_ids: RequestIds | None = None,
        metrics: bool = False,
        collector: MetricsCollector | None = None,
        access_log: AccessLogFn | None = None,
        fast_path: FastPathFn | None = None,
        detector: DetectorConfig | None = None,
    ) -> None:
        self.app = app
        self.body_limits = body_limits
        self.request_ids = request_ids
        self._id_name = request_ids.raw_name if request_ids is not None else b""
        #: Where request metrics go (None: not recorded); the process-wide collector by default.
        self.collector = (collector or get_metrics()) if metrics else None
        self.access_log = access_log
        self.fast_path = fast_path
        self.detector = detector
        #: Any observability piece at all (else no timing, no wrapper: the bare baseline).
        self.observed = request_ids is not None or metrics or access_log is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self.observed:
            if self.fast_path is None or not await self.fast_path(scope, send, None):
                await self._limited(scope, receive, send)
            return
        # The request id, written out here (each call on this path costs about a µs in a
        # server, where every request runs cold): the client's if it sent one, else a new one.
        id_header: Header | None = None
        if self.request_ids is not None:
            name = self._id_name
            for key, value in scope["headers"]:
                if key == name:
                    id_header = self._given_id(scope, value)
                    break
            else:
                try:
                    request_id, encoded = READY_ENCODED.pop()
                except IndexError:
                    request_id, encoded = new_request_id_encoded()
                correlation_id.set(request_id)
                id_header = (name, encoded)
        started = perf_counter()
        if self.fast_path is not None:
            status = 500
            try:
                status = await self.fast_path(scope, send, id_header)
            finally:
                if status:  # answered (an API route's, never an excluded path), or raised
                    elapsed_ms = (perf_counter() - started) * 1000.0
                    if self.collector is not None:  # route_template(), written out
                        template = getattr(scope.get("route"), "path", UNMATCHED)
                        self.collector.record_request(scope["method"], template, status, elapsed_ms)
                    if self.access_log is not None:
                        self.access_log(scope, status, elapsed_ms)
            if status:
                return
        await self._observed_app(scope, receive, send, id_header, started)

    async def _observed_app(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        id_header: Header | None,
        started: float,
    ) -> None:
        """The app behind the body limit, with the request id added to its response headers
        and the status the client got recorded (500 if it raised before answering). The
        generated id is written into the request's headers too, as asgi-correlation-id does."""
        status = 500

        async def respond(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if id_header is not None:
                    message["headers"] = [*message["headers"], id_header]
            await send(message)

        if id_header is not None and id_header not in scope["headers"]:  # a generated id
            scope["headers"] = [*scope["headers"], id_header]  # (an invalid one is gone)
        try:
            await self._limited(scope, receive, respond)
        finally:
            self._record(scope, status, started)

    def _record(self, scope: Scope, status: int, started: float) -> None:
        elapsed_ms = (perf_counter() - started) * 1000.0
        collector = self.collector
        if collector is not None and not scope["path"].startswith(EXCLUDED_PREFIXES):
            collector.record_request(scope["method"], route_template(scope), status, elapsed_ms)
        if self.access_log is not None:
            self.access_log(scope, status, elapsed_ms)

    def _given_id(self, scope: Scope, value: bytes) -> Header:
        """The id a client sent, echoed if valid; else a new one (logged, and the client's
        taken out of the request's headers, as asgi-correlation-id does)."""
        assert self.request_ids is not None
        name = self._id_name
        given = value.decode("latin-1")
        if self.request_ids.valid(given):
            correlation_id.set(given)
            return name, value
        request_id, encoded = new_request_id_encoded()
        _id_log.warning(_FAILED_VALIDATION, request_id)
        correlation_id.set(request_id)
        scope["headers"] = [h for h in scope["headers"] if h[0] != name]
        return name, encoded

    async def _limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        limits = self.body_limits
        limit = limits.limit_for(scope)
        declared = content_length(scope)
        if declared is not None and declared > limit:
            await refusal(limits.authenticated, scope, limit)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise self._too_large(scope, limit)
            return message

        with query_cache_scope(), query_scope("request") as statements:
            await self.app(scope, limited_receive, send)
        statements.name = route_name(scope)
        check_scope(statements, self.detector or get_detector_config())

    def _too_large(self, scope: Scope, limit: int) -> HTTPException:
        return refusal_exception(self.body_limits.authenticated, scope, limit)
