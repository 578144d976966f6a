"""Every list endpoint answers in the same number of SQL statements for 1, 10 and 500 rows,
through the whole ASGI app (auth, routing, serialisation) with the cache off.

GET /api/slots?limit=500 with recruiters and cities: at most 3 statements (it is 2: COUNT and
one SELECT with both relations joined).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from slotwise.api.app import create_app
from slotwise.queries.counter import query_scope
from slotwise.settings import get_settings
from tests.conftest import truncate_all
from tests.e2e.conftest import ADMIN
from tests.integration.query_data import CANDIDATE, seed_lists

# endpoint -> the most statements it may cost
ENDPOINTS: dict[str, int] = {
    "/api/slots?limit=500": 3,
    "/api/slots?limit=500&status=free": 3,
    "/api/slots?limit=500&city_id=1": 3,
    "/api/slots?limit=500&recruiter_id=1": 3,
    "/api/recruiters?limit=500": 3,
    "/api/recruiters?limit=500&city_id=1&active=true": 3,
    "/api/cities?limit=500": 2,
    "/api/templates?limit=500&city_id=1": 2,
    f"/api/candidates/{CANDIDATE}/slots?limit=500": 1,
}


@pytest.fixture
async def uncached_client(engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    """The app with the cache off: these counts are about the database's statements."""
    app: FastAPI = create_app(get_settings().model_copy(update={"cache_enabled": False}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def _counts(client: httpx.AsyncClient) -> dict[str, tuple[int, int]]:
    """endpoint -> (statements, items returned)."""
    found = {}
    for url in ENDPOINTS:
        with query_scope(url) as scope:
            response = await client.get(url, headers=ADMIN)
        assert response.status_code == 200, (url, response.text)
        found[url] = (scope.count, len(response.json()["items"]))
    return found


async def test_list_endpoints_cost_the_same_for_1_10_and_500_rows(
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    uncached_client: httpx.AsyncClient,
) -> None:
    by_size = {}
    for size in (1, 10, 500):
        await truncate_all(engine)
        await seed_lists(session_factory, size, cities=2, extra_cities=size)
        by_size[size] = await _counts(uncached_client)
    for url, budget in ENDPOINTS.items():
        counts = {size: by_size[size][url][0] for size in by_size}
        items = {size: by_size[size][url][1] for size in by_size}
        assert len(set(counts.values())) == 1, f"{url}: statements by size {counts}"
        assert 1 <= counts[500] <= budget, f"{url}: {counts[500]} statements, budget {budget}"
        assert items[1] < items[10] < items[500], (url, items)
        assert items[500] >= 250, (url, items)
