"""Liveness and readiness: is the process up, and can it serve (database reachable)?"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from slotwise.api.cache_topology import cache_topology
from slotwise.api.errors import OUTAGE_EXCEPTIONS, error_response, error_responses
from slotwise.api.schemas import Liveness, Readiness
from slotwise.cache.client import cache_status as probe_cache
from slotwise.settings import get_settings

log = logging.getLogger(__name__)

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live", response_model=Liveness, summary="The process is up")
async def live() -> Liveness:
    return Liveness()


async def _database_ok(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except OUTAGE_EXCEPTIONS as exc:
        log.warning("readiness: database check failed: %s", type(exc).__name__)
        return False
    return True


async def cache_status() -> str:
    """``ok`` / ``disabled`` / ``degraded``, as ``slotwise.cache.client`` reports it."""
    try:
        status = probe_cache()
    except Exception:  # a probe must never fail readiness by raising
        log.warning("readiness: cache probe failed", exc_info=True)
        return "degraded"
    return str(status)


def cache_placement() -> tuple[str, list[str]]:
    """The cache's mode and the primaries in use (the configured mode while it is off)."""
    try:
        found = cache_topology()
    except Exception:  # like the status probe: never fail readiness by raising
        log.warning("readiness: cache topology probe failed", exc_info=True)
        found = None
    if found is None:
        return get_settings().redis_mode, []
    return found.mode, list(found.primaries)


@router.get(
    "/ready",
    response_model=Readiness,
    summary="Ready to serve: the database answers (503 if not); the cache state",
    responses=error_responses(503),
)
async def ready(request: Request) -> JSONResponse:
    db_ok = await _database_ok(request.app.state.engine)
    mode, nodes = cache_placement()
    body = Readiness(
        status="ok" if db_ok else "unavailable",
        database="ok" if db_ok else "down",
        cache=await cache_status(),
        cache_mode=mode,
        cache_nodes=nodes,
    )
    if not db_ok:
        return error_response(
            503,
            "unavailable",
            "the database is unavailable",
            body.model_dump(),
            {"Retry-After": "1"},
        )
    return JSONResponse(body.model_dump())
