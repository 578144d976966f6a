"""Every list read path costs the same number of statements for 1, 10 and 500 rows.

Each path is run on three data sets (truncated in between) and counted; the counts must be
equal and within the path's budget (a page is COUNT + SELECT, plus one SELECT IN for a
collection like Recruiter.cities).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from slotwise.domain.models import SlotStatus
from slotwise.queries.counter import query_scope
from slotwise.repositories import SlotFilters, UnitOfWork
from slotwise.result import Result, Success
from tests.conftest import truncate_all
from tests.integration.query_data import BASE, CANDIDATE, seed_lists

AFTER = BASE - timedelta(days=1)
Read = Callable[[UnitOfWork], Awaitable[Result[Any, Any]]]

# path -> (read, the most statements it may cost)
READS: dict[str, tuple[Read, int]] = {
    "slots.list": (lambda u: u.slots.list(SlotFilters(), limit=500), 2),
    "slots.list status": (
        lambda u: u.slots.list(SlotFilters(status=SlotStatus.FREE), limit=500),
        2,
    ),
    "slots.list city": (lambda u: u.slots.list(SlotFilters(city_id=1), limit=500), 2),
    "slots.list recruiter": (lambda u: u.slots.list(SlotFilters(recruiter_id=1), limit=500), 2),
    "slots.get_free_for_recruiter": (lambda u: u.slots.get_free_for_recruiter(1, AFTER), 1),
    "slots.get_upcoming_for_candidate": (
        lambda u: u.slots.get_upcoming_for_candidate(CANDIDATE, AFTER),
        1,
    ),
    "recruiters.list": (lambda u: u.recruiters.list(limit=500), 3),
    "recruiters.list city": (lambda u: u.recruiters.list(city_id=1, limit=500), 3),
    "recruiters.get_active": (lambda u: u.recruiters.get_active(), 2),
    "recruiters.get_for_city": (lambda u: u.recruiters.get_for_city(1), 2),
    "cities.list": (lambda u: u.cities.list(limit=500), 2),
    "cities.get_active": (lambda u: u.cities.get_active(), 1),
}


def _length(value: object) -> int:
    items = getattr(value, "items", value)
    return len(items)  # type: ignore[arg-type]


async def _measure(factory: async_sessionmaker[AsyncSession]) -> dict[str, tuple[int, int]]:
    """path -> (statements, rows returned)."""
    found: dict[str, tuple[int, int]] = {}
    for name, (read, _budget) in READS.items():
        async with UnitOfWork(factory, read_only=True) as uow:
            with query_scope(name) as scope:
                result = await read(uow)
        assert isinstance(result, Success), (name, result)
        found[name] = (scope.count, _length(result.value))
    return found


async def test_statement_counts_do_not_grow_with_the_list(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    by_size: dict[int, dict[str, tuple[int, int]]] = {}
    for size in (1, 10, 500):
        await truncate_all(engine)
        await seed_lists(session_factory, size, cities=2, extra_cities=size)
        by_size[size] = await _measure(session_factory)
    for name, (_read, budget) in READS.items():
        counts = {size: by_size[size][name][0] for size in by_size}
        rows = {size: by_size[size][name][1] for size in by_size}
        assert len(set(counts.values())) == 1, f"{name}: statements by size {counts}"
        assert counts[500] <= budget, f"{name}: {counts[500]} statements, budget {budget}"
        assert rows[500] >= 250, f"{name}: the 500-row data set returned only {rows[500]} rows"
        assert rows[1] < rows[10] < rows[500], (name, rows)
