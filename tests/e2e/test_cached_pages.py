"""GET /api/slots and GET /api/recruiters served from the cached, already-rendered page.

The cached body must be the uncached path's bytes, and a write through the API must show in
the very next read (invalidation after commit covers the rendered pages too).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from slotwise.api.app import create_app
from slotwise.api.errors import unwrap
from slotwise.api.schemas import Page, RecruiterOut, SlotOut
from slotwise.cache import client as cache_module
from slotwise.cache.client import CacheClient
from slotwise.domain.models import SlotStatus
from slotwise.queries.counter import query_scope
from slotwise.repositories import SlotFilters, UnitOfWork
from tests.e2e.conftest import ADMIN, BOT, Api


@pytest.fixture
async def web(cache: CacheClient, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    """The app using this test's cache (installed before the app starts, so it is the app's)."""
    app: FastAPI = create_app()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def _uncached(
    client: httpx.AsyncClient, url: str, headers: dict[str, str] = BOT
) -> httpx.Response:
    """``url`` read with no cache at all: the database and the renderer, nothing else."""
    installed = cache_module.get_cache()
    cache_module.install_cache(None)
    try:
        return await client.get(url, headers=headers)
    finally:
        cache_module.install_cache(installed)


async def _counted(
    client: httpx.AsyncClient, url: str, headers: dict[str, str] = BOT
) -> tuple[httpx.Response, int]:
    with query_scope(url) as scope:
        response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return response, scope.count


async def _seed(api: Api) -> int:
    """A recruiter with a city and slots in several states (every field of the page shows)."""
    city = await api.city()
    recruiter = await api.recruiter(name="Anna \u00e9\u4e2d", city_ids=[city["id"]])
    rid: int = recruiter["id"]
    free = await api.slot(rid, "2030-01-07T09:00:00Z", city_id=city["id"])
    await api.slot(rid, "2030-01-07T13:00:00+02:00")
    booked = await api.slot(rid, "2030-01-08T09:00:00Z", city_id=city["id"])
    await api.book(booked["id"], telegram_id=2**53 + 1, name='Cand "quoted"')
    assert free["status"] == "free"
    return rid


async def _slots_model_body(uow: UnitOfWork, url: str, filters: SlotFilters, admin: bool) -> bytes:
    """What ``response_model=Page[SlotOut]`` renders for the database's page (no cache); a bot
    token's view has no candidate data."""
    limit, offset = _paging(url)
    page = unwrap(await uow.slots.list(filters, limit=limit, offset=offset))
    items = [SlotOut.of(s) for s in page.items]
    if not admin:
        items = [item.model_copy(update={"candidate": None}) for item in items]
    return (
        Page[SlotOut](items=items, total=page.total, limit=limit, offset=offset)
        .model_dump_json()
        .encode()
    )


async def _recruiters_model_body(
    uow: UnitOfWork, url: str, active: bool | None, admin: bool
) -> bytes:
    limit, offset = _paging(url)
    page = unwrap(await uow.recruiters.list(active=active, limit=limit, offset=offset))
    items = [RecruiterOut.of(r) for r in page.items]
    body = Page[RecruiterOut](items=items, total=page.total, limit=limit, offset=offset)
    return body.model_dump_json().encode()


def _paging(url: str) -> tuple[int, int]:
    query = parse_qs(urlsplit(url).query)
    return int(query.get("limit", ["100"])[0]), int(query.get("offset", ["0"])[0])


Expected = Callable[[UnitOfWork, str, int, bool], Awaitable[bytes]]
CASES: dict[str, Expected] = {
    "/api/slots?recruiter_id={rid}": lambda uow, url, rid, admin: _slots_model_body(
        uow, url, SlotFilters(recruiter_id=rid), admin
    ),
    "/api/slots?recruiter_id={rid}&status=free": lambda uow, url, rid, admin: _slots_model_body(
        uow, url, SlotFilters(recruiter_id=rid, status=SlotStatus.FREE), admin
    ),
    "/api/slots?limit=1&offset=1": lambda uow, url, rid, admin: _slots_model_body(
        uow, url, SlotFilters(), admin
    ),
    "/api/recruiters": lambda uow, url, rid, admin: _recruiters_model_body(uow, url, None, admin),
    "/api/recruiters?active=true&limit=5": lambda uow, url, rid, admin: _recruiters_model_body(
        uow, url, True, admin
    ),
}


@pytest.mark.parametrize("role", ["admin", "bot"])
@pytest.mark.parametrize("template", sorted(CASES))
async def test_hit_and_miss_bodies_are_the_response_models_bytes(
    web: httpx.AsyncClient, make_uow: Callable[[], UnitOfWork], template: str, role: str
) -> None:
    rid = await _seed(Api(web))
    url = template.format(rid=rid)
    admin = role == "admin"
    headers = ADMIN if admin else BOT
    installed = cache_module.get_cache()
    cache_module.install_cache(None)  # the expected bytes come from the database alone
    try:
        async with make_uow() as uow:
            expected = await CASES[template](uow, url, rid, admin)
    finally:
        cache_module.install_cache(installed)
    uncached = await _uncached(web, url, headers)
    miss, miss_queries = await _counted(web, url, headers)
    hit, hit_queries = await _counted(web, url, headers)
    assert miss_queries > 0 and hit_queries == 0  # the second read touched no database
    assert miss.content == hit.content == uncached.content == expected
    for response in (miss, hit):
        for header in ("content-type", "content-length"):
            assert response.headers[header] == uncached.headers[header]


async def test_a_booking_shows_in_the_next_slot_list(web: httpx.AsyncClient) -> None:
    api = Api(web)
    rid = await _seed(api)
    free_url = f"/api/slots?recruiter_id={rid}&status=free"
    all_url = f"/api/slots?recruiter_id={rid}"
    before_free = (await _counted(web, free_url))[0].json()
    before_all = (await _counted(web, all_url))[0].json()
    assert (await _counted(web, free_url))[1] == 0  # cached now
    target = before_free["items"][0]["id"]
    await api.book(target, telegram_id=31337, name="Next")
    after_free = (await web.get(free_url, headers=BOT)).json()
    after_all = (await web.get(all_url, headers=BOT)).json()
    assert target not in [s["id"] for s in after_free["items"]]
    assert after_free["total"] == before_free["total"] - 1
    statuses = {s["id"]: s["status"] for s in after_all["items"]}
    assert statuses[target] == "pending"
    assert after_all["total"] == before_all["total"]
    cached = await web.get(free_url, headers=BOT)
    assert cached.content == (await _uncached(web, free_url)).content


async def test_a_recruiter_rename_shows_in_the_next_lists(web: httpx.AsyncClient) -> None:
    api = Api(web)
    rid = await _seed(api)
    slots_url = f"/api/slots?recruiter_id={rid}"
    for url in (slots_url, "/api/recruiters"):
        await _counted(web, url)
        assert (await _counted(web, url))[1] == 0  # cached now
    await api.ok("PATCH", f"/api/recruiters/{rid}", {"name": "Renamed"})
    slots = (await web.get(slots_url, headers=BOT)).json()["items"]
    recruiters = (await web.get("/api/recruiters", headers=ADMIN)).json()["items"]
    assert {s["recruiter"]["name"] for s in slots} == {"Renamed"}
    assert [r["name"] for r in recruiters if r["id"] == rid] == ["Renamed"]
