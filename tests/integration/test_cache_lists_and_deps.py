"""Cached list pages and exact invalidation: a write is seen by the next list read; a
recruiter change drops only what embeds that recruiter; a slot write only its recruiter's
lists (the old recruiter's too when it moved); waits for another task's load are bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from slotwise.cache.client import CacheClient
from slotwise.cache.decorators import cached
from slotwise.cache.keys import guard_bucket
from slotwise.cache.layout import key_set
from slotwise.domain.models import Recruiter, Slot, SlotStatus
from slotwise.persistence.repository.base import BaseRepository
from slotwise.repositories import SlotRepository, UnitOfWork
from slotwise.repositories.cache_keys import CacheKeys
from slotwise.repositories.slot import SLOT_RECRUITER, SlotFilters
from slotwise.result import Error, Result, Success
from tests.integration import foundation_data as fd

MakeUow = Callable[[], UnitOfWork]


async def _two_recruiters(make_uow: MakeUow) -> tuple[int, int, int, int]:
    """Anna and Boris with one free slot each: (anna, boris, anna's slot, boris's slot)."""
    async with make_uow() as uow:
        anna = await fd.recruiter(uow, "Anna")
        boris = await fd.recruiter(uow, "Boris")
        a_slot = await fd.slot(uow, anna, fd.at(0))
        b_slot = await fd.slot(uow, boris, fd.at(0))
        await uow.commit()
        return anna.id, boris.id, a_slot.id, b_slot.id


async def _rename(make_uow: MakeUow, recruiter_id: int, name: str) -> None:
    async with make_uow() as uow:
        recruiter = fd.ok(await uow.recruiters.get(recruiter_id))
        recruiter.name = name
        fd.ok(await uow.recruiters.update(recruiter))
        await uow.commit()


async def _book(make_uow: MakeUow, slot_id: int, telegram_id: int) -> None:
    async with make_uow() as uow:
        slot = fd.ok(await uow.slots.get_for_update(slot_id))
        slot.book(telegram_id, "Candidate", "UTC")
        fd.ok(await uow.slots.update(slot))
        await uow.commit()


# --- list pages ---------------------------------------------------------------------------------


async def test_slot_list_pages_are_cached_and_see_the_next_write(
    cache: CacheClient, make_uow: MakeUow, count_queries: Any
) -> None:
    anna_id, _, a_slot, _ = await _two_recruiters(make_uow)
    async with make_uow() as uow:
        first = fd.ok(await uow.slots.list(SlotFilters(status=SlotStatus.FREE), limit=1))
    with count_queries() as q:
        async with make_uow() as uow:
            again = fd.ok(await uow.slots.list(SlotFilters(status=SlotStatus.FREE), limit=1))
    assert q.count == 0
    assert (again.total, [s.id for s in again.items]) == (first.total, [s.id for s in first.items])
    assert again.items[0].recruiter.name in {"Anna", "Boris"}  # relations come back too

    await _book(make_uow, a_slot, 7)
    async with make_uow() as uow:
        free = fd.ok(await uow.slots.list(SlotFilters(status=SlotStatus.FREE), limit=10))
        mine = fd.ok(await uow.slots.list(SlotFilters(recruiter_id=anna_id)))
    assert free.total == len(free.items) == 1 and a_slot not in [s.id for s in free.items]
    assert [(s.id, s.status) for s in mine.items] == [(a_slot, SlotStatus.PENDING)]


async def test_every_filter_limit_and_offset_is_its_own_page(
    cache: CacheClient, make_uow: MakeUow
) -> None:
    await _two_recruiters(make_uow)
    async with make_uow() as uow:
        one = fd.ok(await uow.slots.list(limit=1))
        two = fd.ok(await uow.slots.list(limit=1, offset=1))
        later = fd.ok(await uow.slots.list(SlotFilters(start_from=fd.at(1))))
    assert one.items[0].id != two.items[0].id
    assert (one.total, two.total, later.total, later.items) == (2, 2, 0, [])


async def test_recruiter_and_city_lists_see_the_next_write(
    cache: CacheClient, make_uow: MakeUow
) -> None:
    anna_id, _, _, _ = await _two_recruiters(make_uow)
    async with make_uow() as uow:
        await fd.city(uow, "Kazan")
        await uow.commit()
    async with make_uow() as uow:
        assert fd.ok(await uow.recruiters.list()).total == 2
        assert [c.name for c in fd.ok(await uow.cities.list()).items] == ["Kazan"]
    await _rename(make_uow, anna_id, "Anya")
    async with make_uow() as uow:
        await fd.city(uow, "Omsk")
        await uow.commit()
    async with make_uow() as uow:
        names = [r.name for r in fd.ok(await uow.recruiters.list()).items]
        cities = fd.ok(await uow.cities.list())
    assert names == ["Anya", "Boris"]
    assert (cities.total, [c.name for c in cities.items]) == (2, ["Kazan", "Omsk"])


# --- exact invalidation ---------------------------------------------------------------------------


async def test_a_rename_drops_only_the_slots_that_embed_that_recruiter(
    cache: CacheClient, make_uow: MakeUow, count_queries: Any
) -> None:
    anna_id, _, a_slot, b_slot = await _two_recruiters(make_uow)
    async with make_uow() as uow:
        fd.ok(await uow.slots.get(a_slot))
        fd.ok(await uow.slots.get(b_slot))
    await _rename(make_uow, anna_id, "Anya")
    with count_queries() as q:
        async with make_uow() as uow:
            assert fd.ok(await uow.slots.get(b_slot)).recruiter.name == "Boris"
    assert q.count == 0  # Boris's slot is still a hit
    async with make_uow() as uow:
        assert fd.ok(await uow.slots.get(a_slot)).recruiter.name == "Anya"  # never stale


async def test_a_slot_write_keeps_other_recruiters_free_lists(
    cache: CacheClient, make_uow: MakeUow, count_queries: Any
) -> None:
    anna_id, boris_id, a_slot, _ = await _two_recruiters(make_uow)
    async with make_uow() as uow:
        fd.ok(await uow.slots.get_free_for_recruiter(boris_id, fd.at(-1)))
        fd.ok(await uow.slots.get_free_for_recruiter(anna_id, fd.at(-1)))
    await _book(make_uow, a_slot, 7)
    with count_queries() as q:
        async with make_uow() as uow:
            assert len(fd.ok(await uow.slots.get_free_for_recruiter(boris_id, fd.at(-1)))) == 1
    assert q.count == 0
    async with make_uow() as uow:
        assert fd.ok(await uow.slots.get_free_for_recruiter(anna_id, fd.at(-1))) == []


async def test_a_slot_moved_to_another_recruiter_leaves_the_old_ones_lists(
    cache: CacheClient, make_uow: MakeUow
) -> None:
    anna_id, boris_id, a_slot, _ = await _two_recruiters(make_uow)
    async with make_uow() as uow:
        fd.ok(await uow.slots.get_free_for_recruiter(anna_id, fd.at(-1)))
        fd.ok(await uow.slots.list(SlotFilters(recruiter_id=anna_id)))
    async with make_uow() as uow:
        slot = fd.ok(await uow.slots.get_for_update(a_slot))
        slot.recruiter_id = boris_id
        slot.start_utc = slot.start_utc + (fd.at(2) - fd.at(0))  # Boris is busy at 0
        slot.end_utc = slot.end_utc + (fd.at(2) - fd.at(0))
        fd.ok(await uow.slots.update(slot))
        await uow.commit()
    async with make_uow() as uow:
        assert fd.ok(await uow.slots.get_free_for_recruiter(anna_id, fd.at(-1))) == []
        assert fd.ok(await uow.slots.list(SlotFilters(recruiter_id=anna_id))).total == 0


class _PausingSlots(SlotRepository):
    """``get`` that reads the row, then waits at a gate before returning (and storing)."""

    read_done: asyncio.Event
    gate: asyncio.Event

    @cached(key_builder=lambda self, id: CacheKeys.slot(id), depends_on=SLOT_RECRUITER)
    async def get(self, id: int) -> Result[Slot, Error]:
        result = await BaseRepository.get(self, id)
        self.read_done.set()
        await self.gate.wait()
        return result


async def test_a_slot_read_before_a_rename_is_not_stored_after_it(
    cache: CacheClient, session_factory: async_sessionmaker[AsyncSession], make_uow: MakeUow
) -> None:
    anna_id, _, a_slot, _ = await _two_recruiters(make_uow)
    async with UnitOfWork(session_factory, read_only=True) as slow_reader:
        repo = _PausingSlots(slow_reader.session)
        repo.read_done, repo.gate = asyncio.Event(), asyncio.Event()
        reading = asyncio.create_task(repo.get(a_slot))
        await repo.read_done.wait()  # it holds the slot with the old name, not yet stored
        async with make_uow() as writer:
            anna = await writer.session.get(Recruiter, anna_id)
            assert anna is not None
            anna.name = "Anya"
            fd.ok(await writer.recruiters.update(anna))
            await writer.commit()
        repo.gate.set()
        assert fd.ok(await reading).recruiter.name == "Anna"
    async with make_uow() as uow:
        assert fd.ok(await uow.slots.get(a_slot)).recruiter.name == "Anya"  # not refilled


async def _recruiters_in_two_buckets(make_uow: MakeUow) -> tuple[int, int, int, int]:
    """``_two_recruiters``, with more recruiters added for Boris until his guard bucket
    differs from Anna's: (anna, boris, anna's slot, boris's slot)."""
    anna_id, boris_id, a_slot, b_slot = await _two_recruiters(make_uow)
    for n in range(64):
        if _bucket(boris_id) != _bucket(anna_id):
            return anna_id, boris_id, a_slot, b_slot
        async with make_uow() as uow:
            boris = await fd.recruiter(uow, f"Boris {n}")
            b_slot = (await fd.slot(uow, boris, fd.at(0))).id
            boris_id = boris.id
            await uow.commit()
    raise AssertionError("no two guard buckets differ")


def _bucket(recruiter_id: int) -> str:
    return guard_bucket(CacheKeys.RECRUITER_DEPS, CacheKeys.recruiter_dep(recruiter_id))


async def test_a_rename_voids_only_the_loads_of_its_own_guard_bucket(
    cache: CacheClient,
    session_factory: async_sessionmaker[AsyncSession],
    make_uow: MakeUow,
    count_queries: Any,
) -> None:
    """Regression: one guard for every recruiter voided every slot load in flight while any
    recruiter was renamed (the Zipf workload lost a store in eight to that)."""
    anna_id, _, _, b_slot = await _recruiters_in_two_buckets(make_uow)
    async with UnitOfWork(session_factory, read_only=True) as slow_reader:
        repo = _PausingSlots(slow_reader.session)
        repo.read_done, repo.gate = asyncio.Event(), asyncio.Event()
        reading = asyncio.create_task(repo.get(b_slot))
        await repo.read_done.wait()
        await _rename(make_uow, anna_id, "Anya")
        repo.gate.set()
        fd.ok(await reading)
    with count_queries() as q:
        async with make_uow() as uow:
            fd.ok(await uow.slots.get(b_slot))
    assert q.count == 0  # Boris's slot, loaded across Anna's rename, was stored


async def test_a_write_about_to_commit_refuses_only_the_stores_of_its_bucket(
    cache: CacheClient, make_uow: MakeUow
) -> None:
    """While a rename of Anna is between its intent and its commit, a load of her slot may
    hold her old name and is not stored; a load of Boris's slot is."""
    anna_id, _, a_slot, b_slot = await _recruiters_in_two_buckets(make_uow)
    marked = await cache.mark_intents(CacheKeys.recruiter_changed(anna_id))
    assert marked
    for slot_id in (a_slot, b_slot):
        async with make_uow() as uow:
            fd.ok(await uow.slots.get(slot_id))
    redis = cache.redis
    assert redis is not None
    stored = [
        await redis.exists(key_set(cache.prefix, CacheKeys.slot(slot_id), cache.shards).value)
        for slot_id in (a_slot, b_slot)
    ]
    assert stored == [0, 1]
    await cache.invalidate(*CacheKeys.recruiter_changed(anna_id), intents=marked)


async def test_a_load_under_a_dead_writers_intent_is_not_shared_across_a_later_write(
    cache: CacheClient, session_factory: async_sessionmaker[AsyncSession], make_uow: MakeUow
) -> None:
    """Regression (found on a cluster whose primary was killed mid-write): a writer that died
    leaves its intent on the guard bucket, and the writers after it put the same value back
    when they release theirs, so a reader arriving after such a write matched the flight of a
    load that read the database before it, and got the old name."""
    anna_id, _, a_slot, _ = await _two_recruiters(make_uow)
    await cache.mark_intents(CacheKeys.recruiter_changed(anna_id))  # never released
    async with UnitOfWork(session_factory, read_only=True) as slow_reader:
        repo = _PausingSlots(slow_reader.session)
        repo.read_done, repo.gate = asyncio.Event(), asyncio.Event()
        leading = asyncio.create_task(repo.get(a_slot))
        await repo.read_done.wait()  # it holds "Anna"
        await _rename(make_uow, anna_id, "Anya")  # acknowledged

        async def read_after_the_rename() -> str:
            async with make_uow() as uow:
                return fd.ok(await uow.slots.get(a_slot)).recruiter.name

        following = asyncio.create_task(read_after_the_rename())
        await asyncio.sleep(0.05)  # it finds the leader's flight
        repo.gate.set()
        assert fd.ok(await leading).recruiter.name == "Anna"  # began before the rename
        assert await following == "Anya"


# --- bounded waits -----------------------------------------------------------------------------


class _Stuck:
    """A loader whose first load never finishes (a stuck or lost leader)."""

    def __init__(self) -> None:
        self.loads = 0
        self.started = asyncio.Event()
        self.never = asyncio.Event()

    @cached(key_builder="stuck:{arg1}")
    async def get(self, name: str) -> Result[str, Error]:
        self.loads += 1
        if self.loads == 1:
            self.started.set()
            await self.never.wait()
        return Success(name.upper())


async def test_a_follower_does_not_wait_for_a_stuck_leader(cache: CacheClient) -> None:
    """Regression: followers waited on the leader's future without a bound, so one load that
    never finished (or was cancelled before it told them) held every later caller forever."""
    cache.config = replace(cache.config, flight_wait=0.05, lock_wait=0.05)
    loader = _Stuck()
    leader = asyncio.create_task(loader.get("a"))
    await loader.started.wait()
    try:
        follower = await asyncio.wait_for(loader.get("a"), timeout=30)
        assert follower == Success("A")
        assert loader.loads == 2  # it loaded itself
    finally:
        leader.cancel()
