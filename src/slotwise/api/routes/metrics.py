"""``GET /metrics`` (Prometheus exposition) and ``GET /api/metrics/summary`` (admin, JSON).

``/metrics`` needs no token, like any scrape target: bind the server to loopback or protect
the path in the deployment. In multiprocess mode it reports the whole server; the summary is
the answering worker's own view (its ``pid`` says which).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from slotwise.api.cache_topology import record_cache_topology
from slotwise.api.deps import AdminDep
from slotwise.api.errors import error_responses
from slotwise.observability import prometheus
from slotwise.observability.metrics import get_metrics

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    summary="Prometheus metrics (text exposition format)",
    response_class=Response,
    responses={200: {"content": {prometheus.CONTENT_TYPE: {}}, "description": "metrics"}},
)
async def prometheus_metrics() -> Response:
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
