"""The app writes one access line per request (buffered, flushed at the latest on shutdown),
with the request id, in the structured handler's stream."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from slotwise.api.app import create_app
from tests.e2e.conftest import ADMIN


async def test_every_request_has_an_access_line(
    engine: AsyncEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for rid in ("line-one", "line-two"):
                await client.get("/api/cities", headers={**ADMIN, "X-Request-ID": rid})
            await client.get("/api/nothing-here", headers={"X-Request-ID": "line-three"})
    err = capsys.readouterr().err
    access = [line for line in err.splitlines() if "uvicorn.access" in line]
    assert len([line for line in access if "GET /api/cities HTTP/1.1" in line]) == 2
    assert any("GET /api/nothing-here HTTP/1.1" in line and "404" in line for line in access)
    for rid in ("line-one", "line-two", "line-three"):
        assert any(f"request_id={rid}" in line for line in access), rid
    assert "test-admin-token" not in err
