"""The hot queries use an index on PostgreSQL (EXPLAIN on the repositories' own statements).

About 18,000 slots (60 recruiters x 300, 30 cities, mostly free) are seeded and ANALYZEd;
each read path is run once with its statements captured (parameters included, in memory
only), then each captured statement is EXPLAINed with the same parameters. The planner is
left alone (no enable_seqscan=off): the plans are the ones production would get.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from slotwise.domain.models import City, Recruiter, Slot, SlotStatus
from slotwise.persistence.orm import recruiter_cities
from slotwise.queries.counter import RecordedStatement, query_scope
from slotwise.repositories import SlotFilters, UnitOfWork
from slotwise.result import Success

pytestmark = pytest.mark.real_services

RECRUITERS, PER_RECRUITER, CITIES = 60, 300, 30
START = datetime(2031, 3, 2, 6, 0, tzinfo=UTC)
CANDIDATE = 5_000_017


def _status(r: int, i: int) -> dict[str, Any]:
    """Mostly free; every 20th pending / booked / canceled; candidate ids spread widely."""
    kind = (r * 7 + i) % 20
    if kind == 1:
        return {"status": SlotStatus.PENDING.value, "candidate_telegram_id": 5_000_000 + i % 97}
    if kind == 2:
        return {
            "status": SlotStatus.BOOKED.value,
            "candidate_telegram_id": 6_000_000 + r * 1000 + i,
        }
    if kind == 3:
        return {"status": SlotStatus.CANCELED.value}
    return {"status": SlotStatus.FREE.value}


async def _seed(engine: AsyncEngine, factory: async_sessionmaker[AsyncSession]) -> None:
    slots = []
    for r in range(1, RECRUITERS + 1):
        for i in range(PER_RECRUITER):
            start = START + timedelta(hours=4 * i, minutes=r % 4 * 15)
            extra = _status(r, i)
            if "candidate_telegram_id" in extra:
                extra["candidate_name"] = "Candidate"
            slots.append(
                {
                    "recruiter_id": r,
                    "city_id": (r + i) % CITIES + 1,
                    "start_utc": start,
                    "end_utc": start + timedelta(minutes=30),
                    "duration_min": 30,
                    "created_at": START,
                    "updated_at": START,
                    "version": 1,
                    **extra,
                }
            )
    async with factory() as session, session.begin():
        await session.execute(
            insert(City), [{"id": c, "name": f"City {c}", "timezone": "UTC"} for c in range(1, 31)]
        )
        await session.execute(
            insert(Recruiter),
            [{"id": r, "name": f"R {r}", "timezone": "UTC"} for r in range(1, RECRUITERS + 1)],
        )
        await session.execute(
            insert(recruiter_cities),
            [{"recruiter_id": r, "city_id": r % CITIES + 1} for r in range(1, RECRUITERS + 1)],
        )
        await session.execute(insert(Slot), slots)
    async with engine.connect() as conn:
        await conn.execute(text("ANALYZE"))


async def _captured(
    factory: async_sessionmaker[AsyncSession], read: Any
) -> list[RecordedStatement]:
    async with UnitOfWork(factory, read_only=True) as uow:
        with query_scope("explain", keep_parameters=True) as scope:
            result = await read(uow)
    assert isinstance(result, Success), result
    return [s for s in scope.statements if "FROM slots" in s.sql]


async def _plan(engine: AsyncEngine, stmt: RecordedStatement) -> str:
    async with engine.connect() as conn:
        rows = await conn.exec_driver_sql("EXPLAIN " + stmt.sql, stmt.parameters)
        return "\n".join(row[0] for row in rows)


# Any index of the slots table (ix_slots_* or the partial unique uq_slots_*).
INDEX_SCAN = re.compile(r"(Index Scan|Index Only Scan|Bitmap Index Scan) (using|on) (ix|uq)_slots_")
AFTER = START + timedelta(days=20)
HOT_READS: dict[str, Any] = {
    "free slots of a recruiter after a time": lambda u: u.slots.get_free_for_recruiter(7, AFTER),
    "a candidate's upcoming slots": lambda u: u.slots.get_upcoming_for_candidate(CANDIDATE, AFTER),
    "slot list by status": lambda u: u.slots.list(SlotFilters(status=SlotStatus.PENDING)),
    "slot list by city": lambda u: u.slots.list(SlotFilters(city_id=4)),
    "slot list by recruiter": lambda u: u.slots.list(SlotFilters(recruiter_id=9)),
    "slot list by recruiter and time": lambda u: u.slots.list(
        SlotFilters(recruiter_id=9, start_from=AFTER, start_to=AFTER + timedelta(days=7))
    ),
    "slot list by status and time": lambda u: u.slots.list(
        SlotFilters(status=SlotStatus.FREE, start_from=AFTER, start_to=AFTER + timedelta(days=2))
    ),
}


async def test_hot_queries_use_an_index(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    assert engine.dialect.name == "postgresql"
    await _seed(engine, session_factory)
    problems: list[str] = []
    for name, read in HOT_READS.items():
        statements = await _captured(session_factory, read)
        assert statements, name
        for stmt in statements:
            plan = await _plan(engine, stmt)
            uses_index = INDEX_SCAN.search(plan) is not None
            if "Seq Scan on slots" in plan or not uses_index:
                problems.append(f"{name}:\n{stmt.shape[:160]}\n{plan}")
    assert not problems, "\n\n".join(problems)
