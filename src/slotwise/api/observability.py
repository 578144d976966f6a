"""Wiring observability into the app: ``create_app`` calls ``install_observability`` (after
the error handlers, so these middlewares wrap the catch-all and see its 500/503), and the
lifespan calls ``start_observability`` / ``stop_observability`` around serving.

Middleware order, outermost first: request id (asgi-correlation-id) -> request metrics ->
the app's own. The request id is set before anything can log, and echoed on every response,
errors included; the metrics see the status the client really got.
"""

from __future__ import annotations

import re
from typing import Any

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from slotwise.api.middleware.metrics import RequestMetricsMiddleware
from slotwise.api.routes import metrics as metrics_routes
from slotwise.api.routing import add_routes
from slotwise.cache.client import get_cache
from slotwise.observability import tracing
from slotwise.observability.logging import configure_logging, register_secrets
from slotwise.observability.setup import Observability
from slotwise.settings import Settings

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def cache_client() -> Any:
    """The cache's redis client while it is connected (for the pool probe)."""
    cache = get_cache()
    return cache.redis if cache is not None else None


def valid_request_id(value: str) -> bool:
    """A client's id is echoed only if it is short and plain (no log or header injection)."""
    return _REQUEST_ID.fullmatch(value) is not None


def install_observability(app: FastAPI, settings: Settings) -> Observability:
    configure_logging(settings.slotwise_log_level, settings.slotwise_log_json)
    register_secrets(settings.secret_values())
    observability = Observability(redis_client=cache_client)
    app.state.observability = observability
    add_routes(app, metrics_routes.router)
    app.add_middleware(RequestMetricsMiddleware)
    if tracing.tracing_requested():
        tracing.instrument_app(app, observability.enable_tracing())
    app.add_middleware(
        CorrelationIdMiddleware, header_name=REQUEST_ID_HEADER, validator=valid_request_id
    )
    return observability


async def start_observability(app: FastAPI, engine: AsyncEngine) -> None:
    observability: Observability | None = getattr(app.state, "observability", None)
    if observability is not None:
        await observability.start(engine)


async def stop_observability(app: FastAPI) -> None:
    observability: Observability | None = getattr(app.state, "observability", None)
    if observability is not None:
        await observability.stop()
