"""The N+1 detector on real statements: a planted per-row loop is caught with its line, the
repositories' read paths are not flagged even at 500 rows."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from slotwise.domain.models import Recruiter, Slot
from slotwise.queries.n_plus_one import DetectorConfig, NPlusOneError, detect_n_plus_one
from slotwise.queries.optimization import BatchLoader
from slotwise.repositories import SlotFilters, UnitOfWork
from slotwise.result import Success
from tests.integration.query_data import BASE, CANDIDATE, seed_lists

STRICT = DetectorConfig(mode="raise", threshold=2)
Factory = async_sessionmaker[AsyncSession]


def _line_of(marker: str) -> int:
    lines = Path(__file__).read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.rstrip().endswith(marker))


async def test_a_planted_n_plus_one_is_caught_with_its_line(session_factory: Factory) -> None:
    await seed_lists(session_factory, 12)
    async with session_factory() as session:
        slots = (await session.scalars(select(Slot).order_by(Slot.id).limit(12))).all()
        with (
            pytest.raises(NPlusOneError) as caught,
            detect_n_plus_one("planted", DetectorConfig(mode="raise", threshold=10)),
        ):
            for slot in slots:  # the classic: one query per row for its recruiter
                stmt = select(Recruiter).where(Recruiter.id == slot.recruiter_id)
                await session.scalar(stmt)  # planted N+1
    message = str(caught.value)
    assert f"test_query_n_plus_one.py:{_line_of('# planted N+1')}" in message
    assert "12 times" in message
    assert "FROM recruiters" in message
    assert not re.search(r"\b(777000|Recruiter 3)\b", message)  # no parameter values


async def test_a_loop_over_repository_gets_names_the_loop(session_factory: Factory) -> None:
    await seed_lists(session_factory, 10)
    async with UnitOfWork(session_factory) as uow:
        with pytest.raises(NPlusOneError) as caught, detect_n_plus_one("loop", STRICT):
            for recruiter_id in range(1, 4):
                await uow.recruiters.get(recruiter_id)  # loop over get
    # The recruiter by id and its cities (SELECT IN): both repeat from the loop.
    assert len(caught.value.violations) == 2
    for violation in caught.value.violations:
        assert violation.call_site[0].startswith("slotwise/")  # where the statement ran
        loop = f"tests/integration/test_query_n_plus_one.py:{_line_of('# loop over get')}"
        assert loop in violation.call_site
        assert loop in violation.message()


async def test_the_optimized_read_paths_are_quiet_at_500_rows(session_factory: Factory) -> None:
    seeded = await seed_lists(session_factory, 500)
    after = BASE - timedelta(days=1)
    async with UnitOfWork(session_factory) as uow:
        with detect_n_plus_one("reads", STRICT) as scope:
            results = [
                await uow.slots.list(SlotFilters(), limit=500),
                await uow.slots.list(SlotFilters(city_id=2), limit=500),
                await uow.slots.get_free_for_recruiter(seeded.busy_recruiter_id, after),
                await uow.slots.get_upcoming_for_candidate(CANDIDATE, after),
                await uow.recruiters.list(limit=500),
                await uow.recruiters.get_active(),
                await uow.recruiters.get_for_city(3),
                await uow.cities.list(limit=500),
            ]
            loaded = await BatchLoader(uow.session, chunk_size=100).load_many(
                Slot, seeded.slot_ids, relationships=["recruiter", "city"]
            )
    assert all(isinstance(r, Success) for r in results)
    assert len(loaded) == 1000
    assert scope.count <= 20
