"""Booking invariants under real concurrency: a ``slotwise serve --workers 2`` subprocess on
PostgreSQL and Redis (the cache on, as in production), driven by many simultaneous requests.

The server's log goes to a file, never to an unread pipe: a pipe holds 64 KiB, after which
every worker blocks in its next log write and all requests hang (this module once did,
whenever slow-query warnings pushed the log past that size).

The database enforces them (row locks, the one-active-slot partial unique index, the
exclusion constraint); every lost race must be a 409, never a 500.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from slotwise.cache.client import CacheClient, CacheConfig
from slotwise.domain.models import Recruiter, Slot, SlotStatus
from tests import servers
from tests.conftest import DATABASE_URL, TEST_REDIS_URL, truncate_all

pytestmark = pytest.mark.real_services

ADMIN = {"Authorization": "Bearer conc-admin"}
BOT = {"Authorization": "Bearer conc-bot"}
BASE = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)


PIPE_CAPACITY = 64 * 1024
PREFIX = f"slotwise-conc-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("conc") / "server.log"


@pytest.fixture(scope="module")
def server(_engine: AsyncEngine, server_log: Path) -> Iterator[str]:
    """Two uvicorn workers on a free loopback port, against the test database and Redis."""
    port = servers.free_port()
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": TEST_REDIS_URL,
        "CACHE_KEY_PREFIX": PREFIX,
        "CACHE_ENABLED": "true",
        # Every query is logged as slow: the log outgrows a pipe's 64 KiB within the module,
        # which is what test_a_chatty_server_keeps_serving needs.
        "SLOW_QUERY_THRESHOLD_MS": "0",
        "SLOTWISE_ADMIN_TOKENS": "conc-admin",
        "SLOTWISE_BOT_TOKENS": "conc-bot",
        "DB_POOL_SIZE": "5",
        "DB_MAX_OVERFLOW": "25",
        "DB_POOL_TIMEOUT": "30",
    }
    slotwise = Path(sys.executable).with_name("slotwise")
    cmd = [str(slotwise), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    with server_log.open("wb") as log:
        proc = servers.spawn(cmd, env, log)
    url = f"http://127.0.0.1:{port}"
    try:
        servers.wait_ready(url, proc, server_log)
        yield url
    finally:
        servers.stop(proc)


async def _forget_server_cache() -> None:
    """The rows were deleted behind the server's back (ids restart at 1): start a new cache
    generation for its prefix, as the seed command does after a bulk write."""
    config = CacheConfig(url=TEST_REDIS_URL, key_prefix=PREFIX, socket_timeout=1.0)
    client = CacheClient(config)
    try:
        assert await client.connect() and await client.clear()
    finally:
        await client.close()


@pytest.fixture
async def http(server: str, _engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=server, limits=limits, timeout=60.0) as client:
        yield client
    await truncate_all(_engine)
    await _forget_server_cache()


async def _recruiter(http: httpx.AsyncClient) -> int:
    response = await http.post("/api/recruiters", json={"name": "Race"}, headers=ADMIN)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _slots(http: httpx.AsyncClient, recruiter_id: int, count: int) -> list[int]:
    body = {
        "slots": [
            {"recruiter_id": recruiter_id, "start_utc": (BASE + timedelta(hours=i)).isoformat()}
            for i in range(count)
        ]
    }
    response = await http.post("/api/slots/bulk", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return [int(s["id"]) for s in response.json()]


async def _db_slots(engine: AsyncEngine, ids: list[int]) -> dict[int, Slot]:
    """The committed rows, straight from the database (no cache involved)."""
    async with async_sessionmaker(engine)() as session:
        rows = (await session.scalars(select(Slot).where(Slot.id.in_(ids)))).all()
        return {slot.id: slot for slot in rows}


def _codes(responses: list[httpx.Response]) -> Counter[int]:
    codes = Counter(r.status_code for r in responses)
    assert set(codes) <= {200, 201, 409}, [r.text for r in responses if r.status_code >= 500]
    for r in responses:
        if r.status_code == 409:
            assert r.json()["error"]["code"] in {"conflict", "invalid_transition"}
    return codes


async def test_fifty_candidates_one_slot(http: httpx.AsyncClient, _engine: AsyncEngine) -> None:
    [slot_id] = await _slots(http, await _recruiter(http), 1)

    def book(i: int) -> Any:
        body = {"telegram_id": 1000 + i, "name": f"C{i}"}
        return http.post(f"/api/slots/{slot_id}/book", json=body, headers=BOT)

    responses = await asyncio.gather(*(book(i) for i in range(50)))
    codes = _codes(responses)
    assert codes == Counter({200: 1, 409: 49})
    [winner] = [r.json() for r in responses if r.status_code == 200]
    slot = (await _db_slots(_engine, [slot_id]))[slot_id]
    assert slot.status == SlotStatus.PENDING
    assert slot.candidate_telegram_id == winner["candidate"]["telegram_id"]


async def test_one_candidate_thirty_slots_of_one_recruiter(
    http: httpx.AsyncClient, _engine: AsyncEngine
) -> None:
    ids = await _slots(http, await _recruiter(http), 30)
    body = {"telegram_id": 555, "name": "Greedy"}
    responses = await asyncio.gather(
        *(http.post(f"/api/slots/{sid}/book", json=body, headers=BOT) for sid in ids)
    )
    assert _codes(responses) == Counter({200: 1, 409: 29})
    rows = await _db_slots(_engine, ids)
    held = [s for s in rows.values() if s.candidate_telegram_id == 555]
    assert len(held) == 1
    assert sum(1 for s in rows.values() if s.status == SlotStatus.FREE) == 29


async def test_overlapping_slot_creation(http: httpx.AsyncClient, _engine: AsyncEngine) -> None:
    recruiter_id = await _recruiter(http)
    # Twenty 60-minute slots starting 2 minutes apart: every pair overlaps.
    bodies = [
        {"recruiter_id": recruiter_id, "start_utc": (BASE + timedelta(minutes=2 * i)).isoformat()}
        for i in range(20)
    ]
    responses = await asyncio.gather(
        *(http.post("/api/slots", json=b, headers=ADMIN) for b in bodies)
    )
    codes = _codes(responses)
    assert codes[201] <= 1
    assert codes[201] + codes[409] == 20
    async with async_sessionmaker(_engine)() as session:
        rows = (await session.scalars(select(Slot).where(Slot.recruiter_id == recruiter_id))).all()
    assert len(rows) == codes[201]


async def test_reschedule_race_is_atomic(http: httpx.AsyncClient, _engine: AsyncEngine) -> None:
    """Ten candidates, each holding a slot, move to the same free slot at once, while ten more
    try to book it: one request wins it; every loser still holds exactly what it held."""
    recruiter_id = await _recruiter(http)
    ids = await _slots(http, recruiter_id, 11)
    olds, target = ids[:10], ids[10]
    for i, sid in enumerate(olds):
        body = {"telegram_id": 2000 + i, "name": f"Mover {i}"}
        assert (
            await http.post(f"/api/slots/{sid}/book", json=body, headers=BOT)
        ).status_code == 200

    moves = [
        http.post(
            f"/api/slots/{sid}/reschedule",
            json={"telegram_id": 2000 + i, "new_slot_id": target},
            headers=BOT,
        )
        for i, sid in enumerate(olds)
    ]
    other_recruiter = await _recruiter(http)
    assert other_recruiter != recruiter_id
    books = [
        http.post(
            f"/api/slots/{target}/book", json={"telegram_id": 3000 + i, "name": "B"}, headers=BOT
        )
        for i in range(10)
    ]
    responses = await asyncio.gather(*moves, *books)
    assert _codes(responses)[200] == 1
    rows = await _db_slots(_engine, ids)
    winner = rows[target].candidate_telegram_id
    assert rows[target].status == SlotStatus.PENDING
    for i, sid in enumerate(olds):
        mover = 2000 + i
        if mover == winner:
            assert rows[sid].status == SlotStatus.FREE
            assert rows[sid].candidate_telegram_id is None
        else:
            assert rows[sid].status == SlotStatus.PENDING
            assert rows[sid].candidate_telegram_id == mover
    async with async_sessionmaker(_engine)() as session:
        assert await session.get(Recruiter, recruiter_id) is not None


def _size(path: Path) -> int:
    return path.stat().st_size


async def test_a_chatty_server_keeps_serving(http: httpx.AsyncClient, server_log: Path) -> None:
    """Regression: with the log on an unread pipe, the workers blocked once it held 64 KiB and
    every request waited forever (httpx ReadTimeout, nothing running in PostgreSQL)."""
    recruiter_id = await _recruiter(http)
    ids = await _slots(http, recruiter_id, 5)
    for _ in range(500):
        if _size(server_log) > 2 * PIPE_CAPACITY:
            break
        responses = await asyncio.gather(
            *(http.get(f"/api/slots/{sid}", headers=ADMIN) for sid in ids),
            http.get("/api/slots", params={"recruiter_id": recruiter_id}, headers=ADMIN),
        )
        assert [r.status_code for r in responses] == [200] * (len(ids) + 1)
    assert _size(server_log) > 2 * PIPE_CAPACITY  # more than a pipe could have held
