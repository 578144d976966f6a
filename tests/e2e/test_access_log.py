"""The app writes one access line per request (buffered, flushed at the latest on shutdown),
with the request id, in the structured handler's stream; by default only a share of the fast
successful requests get one (``SLOTWISE_ACCESS_LOG_SAMPLE``), every error does."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from slotwise.api.app import create_app
from slotwise.settings import Settings, get_settings
from tests.e2e.conftest import ADMIN


async def _access_lines(settings: Settings, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """Two cached-route requests and one 404, each with its own request id."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for rid in ("line-one", "line-two"):
                await client.get("/api/cities", headers={**ADMIN, "X-Request-ID": rid})
            await client.get("/api/nothing-here", headers={"X-Request-ID": "line-three"})
    err = capsys.readouterr().err
    assert "test-admin-token" not in err
    return [line for line in err.splitlines() if "uvicorn.access" in line]


async def test_every_request_has_an_access_line_at_sample_1(
    engine: AsyncEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = get_settings().model_copy(update={"slotwise_access_log_sample": 1.0})
    access = await _access_lines(settings, capsys)
    assert len([line for line in access if "GET /api/cities HTTP/1.1" in line]) == 2
    assert any("GET /api/nothing-here HTTP/1.1" in line and "404" in line for line in access)
    for rid in ("line-one", "line-two", "line-three"):
        assert any(f"request_id={rid}" in line for line in access), rid
    assert all("sample_rate=1.0" in line for line in access)


async def test_by_default_fast_successes_are_sampled_and_errors_are_not(
    engine: AsyncEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = get_settings()
    assert settings.slotwise_access_log_sample == 0.1
    access = await _access_lines(settings, capsys)
    assert len(access) == 2, access  # the first success (1 in 10 from there) and the 404
    assert "request_id=line-one" in access[0] and "sample_rate=0.1" in access[0]
    assert "request_id=line-three" in access[1] and "404" in access[1]
    assert "sample_rate=1.0" in access[1]
