"""The fast path (``api.fast_path``) answers byte for byte what FastAPI answers.

The same requests (many query combinations, bad ones too, both tokens, none, a wrong one) go
to two apps on the same database and cache: one with the fast path, one without
(``SLOTWISE_FAST_PATH=false``). Status, every header in order (content-type, content-length,
the request id) and the body must be identical, and the fast path must really have answered
the requests it can answer (it counts its hits here), so the test cannot pass by always
falling through.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from slotwise.api.app import create_app
from slotwise.api.fast_path import FastPath
from slotwise.api.middleware.edge import EdgeMiddleware
from slotwise.cache.client import CacheClient
from slotwise.settings import reset_settings
from tests.e2e.conftest import ADMIN, BOT, Api

Snapshot = tuple[int, list[tuple[bytes, bytes]], bytes]
Get = Callable[[str, dict[str, str]], Awaitable[Snapshot]]

REQUEST_ID = {"X-Request-ID": "fast-path-equivalence-1"}
TOKENS: dict[str, dict[str, str]] = {
    "admin": ADMIN,
    "bot": BOT,
    "none": {},
    "unknown": {"Authorization": "Bearer not-a-token"},
    "basic": {"Authorization": "Basic dGVzdA=="},
    "no-scheme": {"Authorization": "test-admin-token"},
    "conditional": {**ADMIN, "If-None-Match": '"x"'},
    "with-body": {**BOT, "Content-Length": "2"},
}
#: Query strings of GET /api/slots; {rid} and {cid} are filled in. Good and bad alike.
SLOT_QUERIES = [
    "",
    "?recruiter_id={rid}",
    "?recruiter_id={rid}&status=free",
    "?recruiter_id={rid}&status=booked&limit=5",
    "?status=pending",
    "?city_id={cid}",
    "?limit=1&offset=1",
    "?limit=500&offset=0",
    "?limit=2&offset=9223372036854775807",
    "?recruiter_id={rid}&start_from=2030-01-07T09:00:00Z",
    "?start_from=2030-01-07T10:00:00%2B02:00&start_to=2030-01-08T00:00:00.5Z",
    "?start_to=2030-01-07T13:00:00.123456-01:30",
    "?recruiter_id={rid}&unknown=1",
    "?recruiter_id=0{rid}",
    "?recruiter_id=%2B{rid}",
    "?recruiter_id={rid}&recruiter_id=1",
    "?recruiter_id=",
    "?recruiter_id=0",
    "?recruiter_id=-1",
    "?recruiter_id=abc",
    "?recruiter_id=9223372036854775808",
    "?status=FREE",
    "?status=",
    "?limit=0",
    "?limit=501",
    "?limit=1.0",
    "?offset=-1",
    "?start_from=2030-01-07T09:00:00",
    "?start_from=2030-01-07T09:00:00+02:00",
    "?start_from=9999-12-31T23:59:59Z",
    "?start_from=1969-12-31T23:59:59Z",
    "?start_from=2030-02-30T09:00:00Z",
    "?start_from=2030-01-07",
    "?start_from=2030-01-07t09:00:00z",
]
RECRUITER_PATHS = [
    "/api/recruiters/{rid}",
    "/api/recruiters/0{rid}",
    "/api/recruiters/{rid}/",
    "/api/recruiters/987654321",
    "/api/recruiters/0",
    "/api/recruiters/-1",
    "/api/recruiters/abc",
    "/api/recruiters/9223372036854775808",
]


def _fast_path(app: FastAPI) -> FastPath | None:
    for middleware in app.user_middleware:
        if middleware.cls is EdgeMiddleware:  # type: ignore[comparison-overlap]
            found = middleware.kwargs.get("fast_path")
            assert found is None or isinstance(found, FastPath)
            return found
    raise AssertionError("no edge layer")


class Counted:
    """How many requests the fast path itself answered (since this was made)."""

    def __init__(self, fast_path: FastPath) -> None:
        self._fast_path = fast_path
        self._start = fast_path.answered

    @property
    def hits(self) -> int:
        return self._fast_path.answered - self._start


@pytest.fixture
async def apps(
    cache: CacheClient, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, Counted]]:
    """(client of the app with the fast path, client of the app without, the hit counter)."""
    fast = create_app()
    monkeypatch.setenv("SLOTWISE_FAST_PATH", "false")
    reset_settings()
    slow = create_app()
    monkeypatch.delenv("SLOTWISE_FAST_PATH")
    reset_settings()
    assert _fast_path(slow) is None
    fast_path = _fast_path(fast)
    assert fast_path is not None
    counted = Counted(fast_path)
    async with AsyncExitStack() as stack:
        clients = []
        for app in (fast, slow):
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            clients.append(
                await stack.enter_async_context(
                    httpx.AsyncClient(transport=transport, base_url="http://test")
                )
            )
        yield clients[0], clients[1], counted


def _getter(client: httpx.AsyncClient) -> Get:
    async def get(url: str, headers: dict[str, str]) -> Snapshot:
        response = await client.get(url, headers={**REQUEST_ID, **headers})
        return response.status_code, list(response.headers.raw), response.content

    return get


async def _seed(api: Api) -> tuple[int, int]:
    """A recruiter with two cities and slots in several states (every field shows)."""
    city = await api.city()
    other = await api.city("Paris", "Europe/Paris")
    recruiter = await api.recruiter(name="Anna \u00e9\u4e2d", city_ids=[other["id"], city["id"]])
    rid: int = recruiter["id"]
    await api.slot(rid, "2030-01-07T09:00:00Z", city_id=city["id"])
    await api.slot(rid, "2030-01-07T13:00:00+02:00")
    booked = await api.slot(rid, "2030-01-08T09:00:00Z", city_id=city["id"])
    await api.book(booked["id"], telegram_id=2**53 + 1, name='Cand "quoted"')
    pending = await api.slot(rid, "2030-01-09T09:00:00Z", city_id=city["id"])
    await api.book(pending["id"], telegram_id=77, name="Other")
    await api.ok("POST", f"/api/slots/{booked['id']}/approve")
    return rid, int(city["id"])


async def _same(slow: Get, fast: Get, url: str, headers: dict[str, str]) -> int:
    """The FastAPI answer twice (the miss fills the cache) and the fast path's between them:
    all three identical. Returns the status."""
    first = await slow(url, headers)
    answered = await fast(url, headers)
    again = await slow(url, headers)
    assert answered == again, (url, headers, answered, again)
    assert first == again, (url, headers)
    return answered[0]


async def test_every_answer_is_fastapis_byte_for_byte(
    apps: tuple[httpx.AsyncClient, httpx.AsyncClient, Counted],
) -> None:
    fast_client, slow_client, counted = apps
    rid, cid = await _seed(Api(slow_client))
    fast, slow = _getter(fast_client), _getter(slow_client)
    statuses: dict[int, int] = {}
    urls = [f"/api/slots{q}".format(rid=rid, cid=cid) for q in SLOT_QUERIES]
    urls += [p.format(rid=rid) for p in RECRUITER_PATHS]
    for url in urls:
        for headers in TOKENS.values():
            status = await _same(slow, fast, url, headers)
            statuses[status] = statuses.get(status, 0) + 1
    assert {200, 401, 404, 422} <= statuses.keys()
    # Every canonical query with a known token was answered by the fast path from the cache:
    # 13 slot queries and one recruiter, for two tokens ("no-scheme" carries no token; a
    # conditional request or one with a body is left to FastAPI).
    assert counted.hits == 2 * 14


async def test_bot_and_admin_views_differ_and_each_matches(
    apps: tuple[httpx.AsyncClient, httpx.AsyncClient, Counted],
) -> None:
    fast_client, slow_client, counted = apps
    rid, _ = await _seed(Api(slow_client))
    fast, slow = _getter(fast_client), _getter(slow_client)
    url = f"/api/slots?recruiter_id={rid}"
    for headers in (ADMIN, BOT):
        await _same(slow, fast, url, headers)
    admin, bot = await fast(url, ADMIN), await fast(url, BOT)
    assert counted.hits == 4
    assert b'"telegram_id":9007199254740993' in admin[2]
    assert b"telegram_id" not in bot[2] and admin[2] != bot[2]


async def test_without_a_request_id_the_generated_one_is_the_only_difference(
    apps: tuple[httpx.AsyncClient, httpx.AsyncClient, Counted],
) -> None:
    fast_client, slow_client, counted = apps
    rid, _ = await _seed(Api(slow_client))
    url = f"/api/recruiters/{rid}"
    await slow_client.get(url, headers=ADMIN)
    answers = [await c.get(url, headers=ADMIN) for c in (fast_client, slow_client)]
    assert counted.hits == 1
    ids = [r.headers["x-request-id"] for r in answers]
    assert all(len(i) == 32 for i in ids) and ids[0] != ids[1]
    shapes = [[(k, v if k != b"x-request-id" else b"") for k, v in r.headers.raw] for r in answers]
    assert shapes[0] == shapes[1] and answers[0].content == answers[1].content


async def test_a_hit_needs_no_database_session(
    apps: tuple[httpx.AsyncClient, httpx.AsyncClient, Counted],
) -> None:
    """The fast path creates no session, unit of work or repository on a hit: with the
    session factory broken, cached answers still come; a miss then gets FastAPI's 500."""
    fast_client, slow_client, counted = apps
    rid, _ = await _seed(Api(slow_client))
    urls = [f"/api/recruiters/{rid}", f"/api/slots?recruiter_id={rid}&status=free"]
    for url in urls:
        assert (await slow_client.get(url, headers=BOT)).status_code == 200

    def no_sessions(*args: object, **kwargs: object) -> object:
        raise AssertionError("a session was created")

    app = fast_client._transport.app  # type: ignore[attr-defined]
    app.state.session_factory = no_sessions
    for url in urls:
        response = await fast_client.get(url, headers=BOT)
        assert response.status_code == 200
    assert counted.hits == 2
    missed = await fast_client.get(f"/api/slots?recruiter_id={rid}&limit=3", headers=BOT)
    assert missed.status_code == 500
