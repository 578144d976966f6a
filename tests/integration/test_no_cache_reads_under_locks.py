"""A write use case makes no cache (Redis) round trip while its transaction holds locks.

Every use case of ``slotwise.services`` runs on the real unit of work and cache, with the
cache warm for what they touch; a spy on the cache client records each call made while a
write unit of work has a transaction open (SQLite: the write lock from BEGIN IMMEDIATE on;
PostgreSQL: the row locks taken inside it). The invalidations a write schedules run after
its commit, so none of them may show up either; nor may a refresh (``cache.refresh``), which
runs in a task of its own after its write's commit, but may overlap the next use case.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from slotwise.cache import refresh
from slotwise.cache.client import CacheClient
from slotwise.domain.audit import Actor, ActorRole
from slotwise.repositories import UnitOfWork
from slotwise.services import booking, cities, recruiters, slots, templates
from tests.unit.outcomes import value_of

T0 = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
CANDIDATE = 7001
#: What the cache client does that reaches Redis (the public surface the decorators use).
REDIS_CALLS = ("lookup", "store", "invalidate", "get", "set", "delete", "exists")

ADMIN_ACTOR = Actor(ActorRole.ADMIN)
BOT_ACTOR = Actor(ActorRole.BOT)


class LockWatch:
    """Opens the services' units of work, and tells whether one of them is writing."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory
        self.writers: list[UnitOfWork] = []
        self.under_lock: list[tuple[str, Any]] = []
        self.outside = 0

    def uow(self) -> UnitOfWork:
        opened = UnitOfWork(self.session_factory)
        self.writers.append(opened)
        return opened

    def writing(self) -> bool:
        return any(hasattr(uow, "session") and uow.session.in_transaction() for uow in self.writers)

    def spy_on(self, cache: CacheClient, monkeypatch: pytest.MonkeyPatch) -> None:
        for name in REDIS_CALLS:
            monkeypatch.setattr(cache, name, self._spy(name, getattr(cache, name)))

    def _spy(self, name: str, call: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        async def spied(*args: Any, **kwargs: Any) -> Any:
            if refresh.refreshing():
                pass  # a write's refresh: its own task, after that write's commit, no locks held
            elif self.writing():
                self.under_lock.append((name, args[:1]))
            else:
                self.outside += 1
            return await call(*args, **kwargs)

        return spied


@pytest.fixture
def watch(
    cache: CacheClient,
    session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> LockWatch:
    spy = LockWatch(session_factory)
    spy.spy_on(cache, monkeypatch)
    return spy


async def _warm(watch: LockWatch, recruiter_id: int, city_id: int, slot_ids: list[int]) -> None:
    """Fill the cache with what the use cases below touch (a hit would be a cheap temptation)."""
    async with UnitOfWork(watch.session_factory, read_only=True) as uow:
        value_of(await uow.recruiters.get(recruiter_id))
        value_of(await uow.cities.get(city_id))
        value_of(await uow.users.get_by_telegram_id(CANDIDATE))
        for slot_id in slot_ids:
            value_of(await uow.slots.get(slot_id))


async def test_no_write_use_case_calls_the_cache_inside_its_transaction(
    watch: LockWatch,
) -> None:
    uows = watch.uow
    hour = timedelta(hours=1)
    berlin = value_of(await cities.create_city(uows, cities.CreateCity("Berlin", "Europe/Berlin")))
    anna = value_of(
        await recruiters.create_recruiter(
            uows, recruiters.CreateRecruiter("Anna", city_ids=(berlin.id,))
        )
    )
    new = [slots.NewSlot(anna.id, T0 + n * hour) for n in (6, 0, 2, 4)]
    made = value_of(await slots.create_slots(uows, slots.CreateSlots(tuple(new))))
    first, second, third, fourth = (s.id for s in made)
    value_of(await booking.book(uows, booking.BookSlot(first, CANDIDATE, "Ivan", actor=BOT_ACTOR)))
    await _warm(watch, anna.id, berlin.id, [first, second, third])
    looked_up = watch.outside

    value_of(await booking.approve(uows, booking.ApproveSlot(first, actor=ADMIN_ACTOR)))
    value_of(await booking.confirm(uows, booking.ConfirmSlot(first, CANDIDATE, actor=BOT_ACTOR)))
    value_of(
        await booking.reschedule(
            uows, booking.Reschedule(first, CANDIDATE, second, actor=BOT_ACTOR)
        )
    )
    value_of(await booking.release(uows, booking.ReleaseSlot(second, CANDIDATE, actor=BOT_ACTOR)))
    # The candidate exists (and is cached): booking again reads them under the slot's lock.
    value_of(
        await booking.book(uows, booking.BookSlot(third, CANDIDATE, "Ivan P.", actor=BOT_ACTOR))
    )
    value_of(await booking.cancel(uows, booking.CancelSlot(third, actor=ADMIN_ACTOR)))
    value_of(await slots.delete_slot(uows, slots.DeleteSlot(fourth)))
    value_of(
        await recruiters.update_recruiter(
            uows, recruiters.UpdateRecruiter(anna.id, {"city_ids": [], "name": "Anna B."})
        )
    )
    value_of(await cities.update_city(uows, cities.UpdateCity(berlin.id, {"active": False})))
    reminder = value_of(
        await templates.create_template(uows, templates.CreateTemplate("reminder", "Hi"))
    )
    update = templates.UpdateTemplate(reminder.id, {"text": "Hello"})
    value_of(await templates.update_template(uows, update))
    value_of(await templates.delete_template(uows, templates.DeleteTemplate(reminder.id)))
    value_of(await recruiters.delete_recruiter(uows, recruiters.DeleteRecruiter(anna.id)))

    assert looked_up > 0  # the spy sees the cache (warming looked up and stored)
    assert watch.outside > looked_up  # the writes' invalidations, after their commits
    assert watch.under_lock == []


async def test_the_watch_sees_a_cache_read_inside_a_write_transaction(watch: LockWatch) -> None:
    """The check above can fail: a cached read after a row lock is recorded."""
    uows = watch.uow
    anna = value_of(await recruiters.create_recruiter(uows, recruiters.CreateRecruiter("Anna")))
    async with uows() as uow:
        value_of(await uow.recruiters.get_for_update(anna.id))
        await uow.users.get_by_telegram_id(CANDIDATE)

    assert "lookup" in [name for name, _ in watch.under_lock]
