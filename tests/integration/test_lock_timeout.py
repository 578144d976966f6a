"""The unit of work bounds lock waits of write transactions (PostgreSQL ``lock_timeout``),
leaves readers alone, and bulk inserts in one order so opposite batches cannot deadlock."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Self

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from slotwise.persistence import db
from slotwise.repositories import UnitOfWork
from slotwise.result import ConflictError, Failure
from slotwise.services import recruiters, slots
from slotwise.settings import get_settings
from tests.unit.outcomes import error_of, value_of

T0 = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


async def _lock_timeout(uow: UnitOfWork) -> str:
    return str(await uow.session.scalar(text("SHOW lock_timeout")))


@pytest.mark.real_services
async def test_write_transactions_get_the_lock_timeout_and_readers_do_not(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    assert get_settings().slotwise_lock_timeout_ms == 2000
    async with UnitOfWork(session_factory) as uow:
        assert await _lock_timeout(uow) == "2s"
    async with UnitOfWork(session_factory, read_only=True) as reader:
        assert await _lock_timeout(reader) == "0"
    async with session_factory() as plain:  # a session outside a unit of work
        assert str(await plain.scalar(text("SHOW lock_timeout"))) == "0"


@pytest.mark.real_services
async def test_the_lock_timeout_is_the_engines_setting(engine: AsyncEngine) -> None:
    settings = get_settings().model_copy(update={"slotwise_lock_timeout_ms": 150})
    other = db.build_engine(settings)
    try:
        async with UnitOfWork(db.build_session_factory(other)) as uow:
            assert await _lock_timeout(uow) == "150ms"
            await uow.commit()
            # SET LOCAL lasts one transaction; the next one sets it again.
            assert await _lock_timeout(uow) == "150ms"
    finally:
        await other.dispose()


async def test_a_write_unit_of_work_works_on_every_database(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """The hook is a no-op where there is no lock_timeout (SQLite): writes just work."""
    uows: Callable[[], UnitOfWork] = lambda: UnitOfWork(session_factory)  # noqa: E731
    made = value_of(await recruiters.create_recruiter(uows, recruiters.CreateRecruiter("Anna")))
    assert value_of(await slots.create_slot(uows, slots.NewSlot(made.id, T0))).id > 0


class _PausingUnitOfWork(UnitOfWork):
    """After its first slot insert, waits (at most ``patience`` s) until the other batch has
    inserted its first too: the interleaving that deadlocks batches inserted as sent."""

    def __init__(self, factory: async_sessionmaker[AsyncSession], barrier: asyncio.Barrier):
        super().__init__(factory)
        self.barrier = barrier

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        add = self.slots.add
        inserted = 0

        async def paused_add(entity: Any) -> Any:
            nonlocal inserted
            result = await add(entity)
            inserted += 1
            if inserted == 1:
                with contextlib.suppress(TimeoutError, asyncio.BrokenBarrierError):
                    async with asyncio.timeout(1.0):
                        await self.barrier.wait()
            return result

        self.slots.add = paused_add  # type: ignore[method-assign]
        return self


@pytest.mark.real_services
async def test_opposite_overlapping_batches_do_not_deadlock(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Inserted as sent, batch 1 would hold 09:00 and batch 2 hold 11:30, each then waiting
    for the other (a deadlock, 40P01). Inserted in (recruiter, start) order both start at
    the 09:00 overlap: the second waits for the first and then fails on the overlap."""
    plain: Callable[[], UnitOfWork] = lambda: UnitOfWork(session_factory)  # noqa: E731
    anna = value_of(await recruiters.create_recruiter(plain, recruiters.CreateRecruiter("Anna")))
    hour = timedelta(hours=1)
    ours = slots.CreateSlots((slots.NewSlot(anna.id, T0), slots.NewSlot(anna.id, T0 + 2 * hour)))
    theirs = slots.CreateSlots(
        (slots.NewSlot(anna.id, T0 + 2.5 * hour), slots.NewSlot(anna.id, T0 + 0.5 * hour))
    )
    barrier = asyncio.Barrier(2)

    def pausing() -> UnitOfWork:
        return _PausingUnitOfWork(session_factory, barrier)

    results = await asyncio.gather(
        slots.create_slots(pausing, ours), slots.create_slots(pausing, theirs)
    )

    failures = [r for r in results if isinstance(r, Failure)]
    assert len(failures) == 1, results
    error = error_of(failures[0])
    assert isinstance(error, ConflictError)
    assert "overlaps" in error.message, error  # not "conflicted with a concurrent change"
