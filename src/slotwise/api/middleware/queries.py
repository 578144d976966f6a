"""Per-request query bookkeeping: a fresh ``QueryCache`` and an N+1 check for every request.

Pure ASGI (no BaseHTTPMiddleware task hop), so the contextvars it sets are the ones the
endpoint's code sees. The request's statements are counted in a ``QueryScope``; when the
request ends the N+1 detector looks at them: in production it logs a warning and counts a
metric, in tests (``SLOTWISE_N_PLUS_ONE=raise``) the request fails.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from slotwise.api.middleware.metrics import UNMATCHED, route_template
from slotwise.queries.counter import query_scope
from slotwise.queries.n_plus_one import DetectorConfig, check_scope, get_detector_config
from slotwise.queries.optimization import query_cache_scope


def _route_name(scope: Scope) -> str:
    """``GET /api/slots/{slot_id}`` once routed (ids never end up in messages or labels)."""
    path = route_template(scope)
    return f"{scope.get('method', '?')} {'unmatched route' if path == UNMATCHED else path}"


class QueryScopeMiddleware:
    def __init__(self, app: ASGIApp, config: DetectorConfig | None = None) -> None:
        self.app = app
        self.config = config  # None: the process-wide configuration, read per request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with query_cache_scope(), query_scope("request") as statements:
            await self.app(scope, receive, send)
        statements.name = _route_name(scope)
        check_scope(statements, self.config or get_detector_config())
