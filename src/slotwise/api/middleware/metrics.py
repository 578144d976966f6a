"""Request metrics: every HTTP request timed and counted by its route *template*.

Labels are ``/api/slots/{slot_id}``, never ``/api/slots/42``: the raw path would give one
series per id and grow without bound. Requests that match no route share ``unmatched``.
``/metrics`` and ``/health/*`` are left out (scrapes and probes are not traffic).
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from slotwise.observability.metrics import MetricsCollector, get_metrics

UNMATCHED = "unmatched"
EXCLUDED_PREFIXES = ("/metrics", "/health")


def route_template(scope: Scope) -> str:
    """The path template of the route that handled the request (set by Starlette's router)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class RequestMetricsMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        metrics: MetricsCollector | None = None,
        exclude_prefixes: tuple[str, ...] = EXCLUDED_PREFIXES,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.exclude_prefixes = exclude_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exclude_prefixes):
            await self.app(scope, receive, send)
            return
        status = 500  # what the client gets if the app raises before answering

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_status)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000.0
            metrics = self.metrics or get_metrics()
            metrics.record_request(scope["method"], route_template(scope), status, elapsed_ms)
