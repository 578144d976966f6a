"""Wiring observability into the app: ``create_app`` calls ``install_observability`` (logging,
the /metrics routes, tracing) and hands ``edge_observability``'s pieces to the edge layer
(``middleware.edge``: request id, request metrics, access log), which wraps the catch-all and
so sees its 500/503; the lifespan calls ``start_observability`` / ``stop_observability``.

The request id is set before anything can log, and echoed on every response, errors
included; the metrics see the status the client really got.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from slotwise.api.access_log import AccessLog
from slotwise.api.middleware.edge import RequestIds
from slotwise.api.routes import metrics as metrics_routes
from slotwise.api.routing import add_routes
from slotwise.cache.client import get_cache
from slotwise.observability import tracing
from slotwise.observability.logging import configure_logging, logs_info, register_secrets
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
    handler = configure_logging(settings.slotwise_log_level, settings.slotwise_log_json)
    register_secrets(settings.secret_values())
    observability = Observability(redis_client=cache_client)
    app.state.observability = observability
    if logs_info(settings.slotwise_log_level) and isinstance(handler, logging.StreamHandler):
        app.state.access_log = access_log_for(settings, _writer(handler))
    add_routes(app, metrics_routes.router)
    if tracing.tracing_requested():
        tracing.instrument_app(app, observability.enable_tracing())
    return observability


def access_log_for(settings: Settings, write: Callable[[str], None]) -> AccessLog:
    """The access log as ``settings`` configure it, writing to ``write``."""
    return AccessLog(
        write,
        json=settings.slotwise_log_json,
        sample=settings.slotwise_access_log_sample,
        slow_ms=settings.slow_query_threshold_ms,
    )


def _writer(handler: logging.StreamHandler[Any]) -> Callable[[str], None]:
    """Writes whole lines to the log handler's stream, under its lock."""

    def write(text: str) -> None:
        with handler.lock or nullcontext():
            handler.stream.write(text)
            handler.flush()

    return write


def edge_observability(app: FastAPI) -> dict[str, Any]:
    """The edge layer's observability pieces: request ids, request metrics, access log."""
    return {
        "request_ids": RequestIds(REQUEST_ID_HEADER, valid_request_id),
        "metrics": True,
        "access_log": getattr(app.state, "access_log", None),
    }


async def start_observability(app: FastAPI, engine: AsyncEngine) -> None:
    observability: Observability | None = getattr(app.state, "observability", None)
    if observability is not None:
        await observability.start(engine)


async def stop_observability(app: FastAPI) -> None:
    access_log: AccessLog | None = getattr(app.state, "access_log", None)
    if access_log is not None:
        access_log.flush()
    observability: Observability | None = getattr(app.state, "observability", None)
    if observability is not None:
        await observability.stop()
