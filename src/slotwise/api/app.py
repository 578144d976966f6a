"""The FastAPI application: ``create_app(settings=None)`` builds it, its lifespan owns the
database engine (and the cache connection), and every error leaves as JSON.

``slotwise serve`` runs it through uvicorn as a factory (``slotwise.api.app:create_app``), so
several worker processes each build their own app, engine and pools.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig

from slotwise.api.auth import TokenTable, has_known_token
from slotwise.api.docs import install_docs
from slotwise.api.errors import install_error_handlers
from slotwise.api.fast_path import FastPath
from slotwise.api.middleware.edge import BodyLimits, EdgeMiddleware
from slotwise.api.observability import (
    edge_observability,
    install_observability,
    start_observability,
    stop_observability,
)
from slotwise.api.routes import (
    candidates,
    cities,
    health,
    recruiters,
    slots,
    templates,
)
from slotwise.api.routes import metrics as metrics_routes
from slotwise.api.routing import add_routes
from slotwise.cache.client import disconnect_cache, open_app_cache
from slotwise.persistence import db
from slotwise.settings import Settings, get_settings

log = logging.getLogger(__name__)

DESCRIPTION = """Booking interview slots with recruiters.

Every `/api` route needs `Authorization: Bearer <token>`; `admin` tokens may do everything,
`bot` tokens may read and book / confirm / release / reschedule for a candidate (with
`X-Telegram-Init-Data` when the server knows the bot's Telegram token). Errors are
`{"error": {"code", "message", "details"}}`. Request bodies over 64 KiB (1 MiB for
`POST /api/slots/bulk`, at most 500 slots) are refused with 413; datetimes must lie in
1970-01-01T00:00:00Z .. 9000-01-01T00:00:00Z (exclusive). Single resources carry a strong
`ETag`; `If-Match` on PATCH/DELETE of recruiters, cities and templates makes the write
conditional (412 `precondition_failed` when the resource changed meanwhile).
"""

#: Routes whose body limit is the bulk one, not the default.
BULK_ROUTES = (("POST", "/api/slots/bulk"),)

#: FastAPI's native OpenTelemetry bridge, off: tracing is ours (``observability.tracing``,
#: switched by the OTEL_* variables), so a process with global providers set gets no second
#: set of spans, and no request pays the bridge's per-request check (three environment
#: lookups and three provider lookups, ~15 % of a cached hit's Python work).
NATIVE_TELEMETRY_OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def create_app(settings: Settings | None = None, *, observability: bool = True) -> FastAPI:
    """A new application.

    Without ``settings`` it serves the process-wide engine (``slotwise.persistence.db``) built from
    the environment; with ``settings`` it builds and owns an engine of its own from them.
    ``observability=False`` leaves the observability stack out (logging set-up, SQL timing,
    pool gauges, request ids, request metrics, the access log; ``/metrics`` stays mounted):
    the benchmark's baseline for what that stack costs, built by this same body.
    """
    own_engine = settings is not None
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = db.build_engine(settings) if own_engine else db.get_engine()
        app.state.engine = engine
        app.state.session_factory = (
            db.build_session_factory(engine) if own_engine else db.get_session_factory()
        )
        own_cache = await open_app_cache(settings)  # never raises: no Redis = uncached
        if observability:
            await start_observability(app, engine)  # SQL timing, pool gauges
        if settings.slotwise_gc_freeze:
            freeze_startup_objects()
        try:
            yield
        finally:
            if observability:
                await stop_observability(app)
            if own_cache:
                await disconnect_cache()
            await engine.dispose()

    app = FastAPI(
        title="slotwise",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # Served by install_docs from packaged assets instead of FastAPI's CDN pages.
        docs_url=None,
        redoc_url=None,
        telemetry=NATIVE_TELEMETRY_OFF,
    )
    app.state.settings = settings
    app.state.tokens = TokenTable.from_settings(settings)
    install_error_handlers(app)
    # Logging, /metrics, tracing; the request id and metrics pieces go into the edge layer.
    if observability:
        install_observability(app, settings)
    else:
        add_routes(app, metrics_routes.router)  # where install_observability mounts it
    # Hot routes first: a request is matched against the routes in order.
    for module in (slots, recruiters, cities, candidates, templates, health):
        add_routes(app, module.router)
    install_docs(app)
    # Added after install_error_handlers so it wraps the catch-all: request ids and request
    # metrics then cover 500/503 responses too; after the routes, which the fast path finds.
    observed = edge_observability(app) if observability else {}
    app.add_middleware(EdgeMiddleware, **edge_options(app, settings), **observed)
    return app


def edge_options(app: FastAPI, settings: Settings) -> dict[str, Any]:
    """The edge layer's body limits and fast path (``middleware.edge``), observability aside."""
    tokens: TokenTable = app.state.tokens
    limits = BodyLimits(
        default=settings.slotwise_max_body_bytes,
        routes={route: settings.slotwise_max_bulk_body_bytes for route in BULK_ROUTES},
        authenticated=lambda scope: has_known_token(tokens, scope),
    )
    fast_path = FastPath(tokens, app.routes) if settings.slotwise_fast_path else None
    return {"body_limits": limits, "fast_path": fast_path}


def freeze_startup_objects() -> None:
    """Move every object alive after start-up out of the collector's generations.

    Why: ~150k start-up objects (modules, routes, pydantic schemas, mapper state) never die,
    yet every full collection walked them (~70 ms stalls every ~0.5 s under load)."""
    gc.collect()
    gc.freeze()
