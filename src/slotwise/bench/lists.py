"""Scenario 2 (fallback): a list of 100 slots with recruiter and city, lazy N+1 vs eager.

Used when the query-optimization benchmark (``slotwise.bench.queries``) is not installed.
The N+1 variant is SQLAlchemy's own lazy loading (``lazyload``, run in a sync context
because async code cannot lazy-load), so the statement count is exactly what an ORM user
who forgot eager loading would get: one per distinct recruiter and city not yet loaded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Select, event, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session, joinedload, lazyload, selectinload

from slotwise.bench.stats import compare, interleaved
from slotwise.core import db
from slotwise.domain.models import Slot

LIST_SIZE = 100
_TRANSACTION = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


class StatementCounter:
    """Counts the statements an engine executes while ``counting`` is on."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.count = 0
        self._on = False

    def _hook(self, _conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        # Transaction control (SQLite's explicit BEGIN) is not a query.
        if self._on and not statement.lstrip().upper().startswith(_TRANSACTION):
            self.count += 1

    @contextmanager
    def counting(self) -> Iterator[StatementCounter]:
        event.listen(self.engine.sync_engine, "before_cursor_execute", self._hook)
        self.count, self._on = 0, True
        try:
            yield self
        finally:
            self._on = False
            event.remove(self.engine.sync_engine, "before_cursor_execute", self._hook)


def _page() -> Select[tuple[Slot]]:
    # Ordered by time: the first 100 slots belong to many recruiters (the realistic case).
    return select(Slot).order_by(Slot.start_utc, Slot.id).limit(LIST_SIZE)


def _touch(session: Session, slots: list[Slot]) -> int:
    return sum(1 for s in slots if s.recruiter.name and (s.city is None or s.city.name))


def variants(engine: AsyncEngine) -> dict[str, Callable[[], Awaitable[int]]]:
    factory = db.build_session_factory(engine)

    async def n_plus_one() -> int:
        async with factory() as session:
            stmt = _page().options(lazyload(Slot.recruiter), lazyload(Slot.city))
            slots = list((await session.scalars(stmt)).all())
            return await session.run_sync(_touch, slots)

    async def eager(option: Any) -> int:
        async with factory() as session:
            stmt = _page().options(option(Slot.recruiter), option(Slot.city))
            slots = list((await session.scalars(stmt)).unique().all())
            return sum(1 for s in slots if s.recruiter.name)

    async def select_in() -> int:
        return await eager(selectinload)

    async def joined() -> int:
        return await eager(joinedload)

    return {"lazy_n_plus_one": n_plus_one, "selectinload": select_in, "joinedload": joined}


async def count_statements(engine: AsyncEngine, call: Callable[[], Awaitable[int]]) -> int:
    counter = StatementCounter(engine)
    with counter.counting():
        await call()
    return counter.count


async def run(
    engine: AsyncEngine, *, rounds: int, calls: int, tick: Callable[[], None]
) -> dict[str, Any]:
    found = variants(engine)
    statements = {name: await count_statements(engine, call) for name, call in found.items()}
    samples = await interleaved(found, rounds=rounds, calls_per_round=calls, on_round=tick)
    result = compare(samples, baseline="lazy_n_plus_one")
    result["statements"] = statements
    result["list_size"] = LIST_SIZE
    result["source"] = "slotwise.bench.lists (ORM lazy loading vs eager options)"
    return result
