"""Fast seeding for the query tests: core INSERTs (one executemany per table), no services.

Ids are given explicitly (PostgreSQL's sequences do not move), so a test that seeds here
should not insert more rows through the ORM afterwards.

``seed_lists(factory, n)`` makes n recruiters, each in two cities, each with one slot held by
candidate CANDIDATE; recruiter 1 also gets n free slots later on, and city 1 n templates. So
every list read path can return n rows with distinct related rows (the worst case for N+1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from slotwise.domain.models import City, Recruiter, Slot, SlotStatus, Template
from slotwise.persistence.orm import recruiter_cities

CANDIDATE = 777_000
BASE = datetime(2031, 1, 6, 8, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Seeded:
    recruiter_ids: list[int]
    city_ids: list[int]
    slot_ids: list[int]
    busy_recruiter_id: int


def _slot(
    id: int, recruiter_id: int, city_id: int, start: datetime, **extra: object
) -> dict[str, Any]:
    return {
        "id": id,
        "recruiter_id": recruiter_id,
        "city_id": city_id,
        "start_utc": start,
        "end_utc": start + timedelta(minutes=30),
        "duration_min": 30,
        "status": SlotStatus.FREE.value,
        "created_at": BASE,
        "updated_at": BASE,
        "version": 1,
        **extra,
    }


async def seed_lists(
    factory: async_sessionmaker[AsyncSession],
    n: int,
    *,
    cities: int | None = None,
    extra_cities: int = 0,
) -> Seeded:
    """``extra_cities`` adds cities with no recruiter and no slot (for the city list)."""
    n_cities = cities or max(2, min(n, 40))
    city_rows: list[dict[str, Any]] = [
        {"id": i, "name": f"City {i}", "timezone": "UTC"}
        for i in range(1, n_cities + extra_cities + 1)
    ]
    recruiter_rows: list[dict[str, Any]] = [
        {"id": i, "name": f"Recruiter {i}", "timezone": "UTC"} for i in range(1, n + 1)
    ]
    links = [
        {"recruiter_id": r, "city_id": c}
        for r in range(1, n + 1)
        for c in {(r - 1) % n_cities + 1, r % n_cities + 1}
    ]
    held = [
        _slot(
            r,
            r,
            (r - 1) % n_cities + 1,
            BASE + timedelta(hours=r),
            status=SlotStatus.PENDING.value,
            candidate_telegram_id=CANDIDATE,
            candidate_name="Candidate",
        )
        for r in range(1, n + 1)
    ]
    free = [
        _slot(n + i, 1, (i - 1) % n_cities + 1, BASE + timedelta(days=400, hours=i))
        for i in range(1, n + 1)
    ]
    async with factory() as session, session.begin():
        await session.execute(insert(City), city_rows)
        await session.execute(insert(Recruiter), recruiter_rows)
        await session.execute(insert(recruiter_cities), links)
        await session.execute(insert(Slot), held + free)
        await session.execute(
            insert(Template),
            [{"city_id": 1, "key": f"key{i}", "text": f"Text {i}"} for i in range(1, n + 1)],
        )
    return Seeded(
        recruiter_ids=[r["id"] for r in recruiter_rows],
        city_ids=[c["id"] for c in city_rows],
        slot_ids=[s["id"] for s in held + free],
        busy_recruiter_id=1,
    )
