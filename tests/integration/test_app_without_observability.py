"""The observability scenario's baseline (``create_app(settings, observability=False)``) is
``create_app`` minus the observability stack, and nothing else: same routes in the same order,
the same middlewares, the edge layer without its observability pieces (request ids, request
metrics, access log) and nothing else missing, and it serves the same answer.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.routing import BaseRoute

from slotwise.api.app import create_app
from slotwise.api.middleware.edge import EdgeMiddleware
from slotwise.api.observability import REQUEST_ID_HEADER
from slotwise.settings import Settings

OBSERVABILITY = {"request_ids", "metrics", "access_log"}


def _settings(tmp_path: Path, token: str) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'apps.db'}",
        cache_enabled=False,
        slotwise_admin_tokens=token,
        slotwise_bot_tokens=[],
        slotwise_log_level="WARNING",
    )


def _route(route: BaseRoute) -> tuple[str, frozenset[str]]:
    return (getattr(route, "path", ""), frozenset(getattr(route, "methods", None) or ()))


def _middlewares(app: FastAPI) -> list[type]:
    return [m.cls for m in app.user_middleware]  # type: ignore[misc]


def _edge_options(app: FastAPI) -> dict[str, Any]:
    (edge,) = [m for m in app.user_middleware if m.cls is EdgeMiddleware]  # type: ignore[comparison-overlap]
    return dict(edge.kwargs)


def test_the_baseline_is_create_app_without_the_observability_stack(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "t")
    full, bare = create_app(settings), create_app(settings, observability=False)

    assert [_route(r) for r in bare.routes] == [_route(r) for r in full.routes]
    assert _middlewares(bare) == _middlewares(full)
    full_edge, bare_edge = _edge_options(full), _edge_options(bare)
    assert full_edge.keys() - bare_edge.keys() == OBSERVABILITY
    assert bare_edge.keys() == {"body_limits", "fast_path"}
    assert full_edge["request_ids"] is not None and full_edge["metrics"] is True
    assert bare.exception_handlers.keys() == full.exception_handlers.keys()


async def test_both_serve_the_same_answer_only_one_with_a_request_id(tmp_path: Path) -> None:
    from slotwise.persistence import db
    from slotwise.persistence.migrate import upgrade

    token = secrets.token_urlsafe(16)
    settings = _settings(tmp_path, token)
    engine = db.build_engine(settings)
    try:
        await upgrade(engine, "head")
    finally:
        await engine.dispose()
    answers: dict[str, tuple[int, object, bool]] = {}
    for name, app in (
        ("full", create_app(settings)),
        ("bare", create_app(settings, observability=False)),
    ):
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                response = await client.get(
                    "/api/cities", headers={"Authorization": f"Bearer {token}"}
                )
        answers[name] = (
            response.status_code,
            response.json(),
            REQUEST_ID_HEADER in response.headers,
        )
    (full_status, full_body, full_id), (bare_status, bare_body, bare_id) = (
        answers["full"],
        answers["bare"],
    )
    assert full_status == bare_status == 200
    assert full_body == bare_body
    assert full_id and not bare_id


def test_fastapis_own_telemetry_is_off_in_both(tmp_path: Path) -> None:
    """Tracing is ours (OTEL_* variables): FastAPI's native bridge stays off, so a process
    with global OpenTelemetry providers gets one set of spans, and no request pays the
    bridge's per-request provider lookups."""
    settings = _settings(tmp_path, "t")
    for app in (create_app(settings), create_app(settings, observability=False)):
        assert not app._native_telemetry.enabled()  # FastAPI's check on every request
        assert not any(app._telemetry[signal] for signal in ("tracing", "metrics", "logs"))
