"""Request metrics: every HTTP request timed and counted by its route *template* (recorded by
``middleware.edge``).

Labels are ``/api/slots/{slot_id}``, never ``/api/slots/42``: the raw path would give one
series per id and grow without bound. Requests that match no route share ``unmatched``.
``/metrics`` and ``/health/*`` are left out (scrapes and probes are not traffic).
"""

from __future__ import annotations

from starlette.types import Scope

UNMATCHED = "unmatched"
EXCLUDED_PREFIXES = ("/metrics", "/health")


def route_template(scope: Scope) -> str:
    """The path template of the route that handled the request (set by Starlette's router,
    or by the fast path)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED
