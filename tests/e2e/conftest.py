"""The ASGI app with its lifespan run, and an httpx client per role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from slotwise.api.app import create_app

ADMIN = {"Authorization": "Bearer test-admin-token"}
BOT = {"Authorization": "Bearer test-bot-token"}


@pytest.fixture
async def app(engine: AsyncEngine) -> AsyncIterator[FastAPI]:
    application = create_app()
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="module")
async def untouched_app(_engine: AsyncEngine) -> AsyncIterator[FastAPI]:
    """The app for tests that cannot change data (auth refusals): no per-test cleanup."""
    application = create_app()
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def untouched_client(untouched_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=untouched_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


class Api:
    """Shortcuts for building test data through the API itself (as an admin)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def ok(self, method: str, url: str, json: Any = None, status: int = 200) -> Any:
        response = await self.client.request(method, url, json=json, headers=ADMIN)
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    async def city(self, name: str = "Berlin", timezone: str = "Europe/Berlin") -> Any:
        return await self.ok("POST", "/api/cities", {"name": name, "timezone": timezone}, 201)

    async def recruiter(self, name: str = "Anna", city_ids: list[int] | None = None) -> Any:
        body = {"name": name, "timezone": "Europe/Berlin", "city_ids": city_ids or []}
        return await self.ok("POST", "/api/recruiters", body, 201)

    async def slot(
        self, recruiter_id: int, start: str = "2030-01-07T09:00:00Z", **extra: Any
    ) -> Any:
        body = {"recruiter_id": recruiter_id, "start_utc": start, **extra}
        return await self.ok("POST", "/api/slots", body, 201)

    async def book(self, slot_id: int, telegram_id: int = 111, name: str = "Cand") -> Any:
        body = {"telegram_id": telegram_id, "name": name}
        return await self.ok("POST", f"/api/slots/{slot_id}/book", body)


@pytest.fixture
def api(client: httpx.AsyncClient) -> Api:
    return Api(client)
