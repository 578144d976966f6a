"""Per-request query bookkeeping (opened by ``middleware.edge``): a fresh ``QueryCache`` and an
N+1 check for every request that reaches the app.

The request's statements are counted in a ``QueryScope``; when the request ends the N+1
detector looks at them: in production it logs a warning and counts a metric, in tests
(``SLOTWISE_N_PLUS_ONE=raise``) the request fails. This module names the scope.
"""

from __future__ import annotations

from starlette.types import Scope

from slotwise.api.middleware.metrics import UNMATCHED, route_template


def route_name(scope: Scope) -> str:
    """``GET /api/slots/{slot_id}`` once routed (ids never end up in messages or labels)."""
    path = route_template(scope)
    return f"{scope.get('method', '?')} {'unmatched route' if path == UNMATCHED else path}"
