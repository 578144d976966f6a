"""``GET /metrics`` (Prometheus exposition) and ``GET /api/metrics/summary`` (admin, JSON).

``/metrics`` needs ``Authorization: Bearer <SLOTWISE_METRICS_TOKEN>`` when that setting is
set (Prometheus' ``authorization`` scrape option sends it); without it, it is open like any
scrape target, so bind the server to loopback or protect the path in the deployment. In
multiprocess mode it reports the whole server; the summary is the answering worker's own view
(its ``pid`` says which).
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from slotwise.api.auth import bearer_token
from slotwise.api.cache_topology import record_cache_topology
from slotwise.api.deps import AdminDep
from slotwise.api.errors import ApiError, error_responses
from slotwise.observability import prometheus
from slotwise.observability.metrics import get_metrics

router = APIRouter(tags=["metrics"])


async def metrics_token(request: Request) -> None:
    """401 unless the scrape carries the configured metrics token (if one is configured)."""
    expected = request.app.state.settings.slotwise_metrics_token
    if expected is None:
        return
    given = bearer_token(request.headers.get("authorization")) or ""
    if not hmac.compare_digest(
        given.encode("utf-8", "surrogateescape"), expected.get_secret_value().encode()
    ):
        raise ApiError(
            401,
            "unauthorized",
            "missing or unknown metrics token",
            headers={"WWW-Authenticate": "Bearer"},
        )


@router.get(
    "/metrics",
    summary="Prometheus metrics (text exposition format)",
    response_class=Response,
    responses={
        200: {"content": {prometheus.CONTENT_TYPE: {}}, "description": "metrics"},
        **error_responses(401),
    },
)
async def prometheus_metrics(_: Annotated[None, Depends(metrics_token)]) -> Response:
    get_metrics().sample_pools()
    record_cache_topology()
    return Response(prometheus.render_latest(), media_type=prometheus.CONTENT_TYPE)


@router.get(
    "/api/metrics/summary",
    summary="Performance summary of this worker: cache, queries, endpoints, pools",
    responses=error_responses(401, 403),
)
async def metrics_summary(_: AdminDep) -> dict[str, Any]:
    return get_metrics().get_summary()
