"""The cached repositories: the document's examples, type fidelity, after-commit invalidation,
the stale-refill race, and the unit of work reading its own writes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from slotwise.cache.client import CacheClient
from slotwise.cache.decorators import cached
from slotwise.domain.models import City, Recruiter, Slot, Template, User
from slotwise.persistence.repository.base import BaseRepository
from slotwise.queries.counter import QueryScope
from slotwise.repositories import RecruiterRepository, UnitOfWork
from slotwise.repositories.cache_keys import CacheKeys
from slotwise.repositories.invalidation import CacheInvalidator
from slotwise.result import Error, Failure, NotFoundError, Result, Success
from tests.integration import foundation_data as fd
from tests.integration.cache_support import hits_misses, snapshot

MakeUow = Callable[[], UnitOfWork]
CountQueries = Callable[[], AbstractContextManager[QueryScope]]


async def _seed(make_uow: MakeUow) -> tuple[int, int, int]:
    """A city, a recruiter working there, and two free slots; returns their ids."""
    async with make_uow() as uow:
        moscow = await fd.city(uow, "Moscow")
        anna = await fd.recruiter(uow, "Anna", cities=[moscow])
        first = await fd.slot(uow, anna, fd.at(0), city_id=moscow.id)
        await fd.slot(uow, anna, fd.at(2), city_id=None)
        await uow.commit()
        return moscow.id, anna.id, first.id


# --- the document's examples ---------------------------------------------------------------


async def test_example_1_repeated_get_hits_the_cache(
    cache: CacheClient, make_uow: MakeUow, count_queries: CountQueries
) -> None:
    _, anna_id, _ = await _seed(make_uow)
    hits0, misses0 = hits_misses()
    async with make_uow() as uow:
        first = fd.ok(await uow.recruiters.get(anna_id))
    with count_queries() as q:
        async with make_uow() as uow:
            second = fd.ok(await uow.recruiters.get(anna_id))
            third = fd.ok(await uow.recruiters.get(anna_id))
    assert q.count == 0  # both served by Redis
    assert hits_misses() == (hits0 + 2, misses0 + 1)
    assert snapshot(second) == snapshot(first) == snapshot(third)
    assert second is third  # one identity per session, as with the database


async def test_example_3_add_invalidates_active_list(cache: CacheClient, make_uow: MakeUow) -> None:
    await _seed(make_uow)
    async with make_uow() as uow:
        before = fd.ok(await uow.recruiters.get_active())
    async with make_uow() as uow:
        recruiter = Recruiter(name="John", active=True)
        fd.ok(await uow.recruiters.add(recruiter))
        await uow.commit()
    async with make_uow() as uow:
        after = fd.ok(await uow.recruiters.get_active())
    assert [r.name for r in after] == [r.name for r in before] + ["John"]


async def test_cache_invalidator_example(cache: CacheClient, make_uow: MakeUow) -> None:
    _, anna_id, _ = await _seed(make_uow)
    async with make_uow() as uow:
        fd.ok(await uow.recruiters.get(anna_id))
    hits0, misses0 = hits_misses()
    invalidator = CacheInvalidator()
    await invalidator.invalidate_recruiter(anna_id)
    async with make_uow() as uow:
        fd.ok(await uow.recruiters.get(anna_id))
    assert hits_misses() == (hits0, misses0 + 1)


async def test_cache_result_api(cache: CacheClient) -> None:
    assert await cache.get("user:1") == Success(None)
    assert await cache.set("user:1", "text", ttl=60) == Success(True)
    assert await cache.get("user:1") == Success("text")
    assert await cache.exists("user:1") == Success(True)
    assert await cache.delete("user:1") == Success(True)
    assert await cache.get("user:1") == Success(None)


# --- type fidelity --------------------------------------------------------------------------


async def test_every_cached_read_returns_on_a_hit_what_it_returned_on_the_miss(
    cache: CacheClient, make_uow: MakeUow
) -> None:
    city_id, anna_id, slot_id = await _seed(make_uow)
    async with make_uow() as uow:
        await fd.template(uow, "greeting", "Hello", None)
        await fd.template(uow, "greeting", "Privet", city_id)
        await fd.template(uow, "bye", "Bye", None)
        await fd.user(uow, 777, "Ivan", city_id=city_id, timezone="Europe/Moscow")
        await uow.commit()

    def reads(uow: UnitOfWork) -> list[Awaitable[Result[Any, Any]]]:
        return [
            uow.recruiters.get(anna_id),
            uow.recruiters.get_active(),
            uow.recruiters.get_for_city(city_id),
            uow.cities.get(city_id),
            uow.cities.get_active(),
            uow.slots.get(slot_id),
            uow.slots.get_free_for_recruiter(anna_id, fd.at(-1)),
            uow.templates.get_for_city(city_id),
            uow.templates.resolve(city_id, "greeting"),
            uow.users.get_by_telegram_id(777),
            uow.recruiters.list(),
            uow.cities.list(),
            uow.slots.list(),
        ]

    async with make_uow() as uow:
        misses = [fd.ok(await call) for call in reads(uow)]
    hits0, _ = hits_misses()
    async with make_uow() as uow:
        hits = [fd.ok(await call) for call in reads(uow)]
    assert hits_misses()[0] == hits0 + len(hits)
    for miss, hit in zip(misses, hits, strict=True):
        assert type(hit) is type(miss)
        assert snapshot(hit) == snapshot(miss)
    recruiter, slot = hits[0], hits[5]
    assert isinstance(recruiter, Recruiter) and [c.id for c in recruiter.cities] == [city_id]
    assert isinstance(slot, Slot) and slot.recruiter.id == anna_id
    assert isinstance(slot.city, City) and slot.city.name == "Moscow"
    assert slot.start_utc.tzinfo is not None and slot.start_utc == fd.at(0)
    assert isinstance(hits[8], Template) and hits[8].text == "Privet"
    assert isinstance(hits[9], User) and hits[9].created_at.tzinfo is not None
    free = hits[6]
    assert [s.start_utc for s in free] == [fd.at(0), fd.at(2)]
    assert free[1].city is None


async def test_entity_from_the_cache_can_be_updated_in_the_same_unit_of_work(
    cache: CacheClient, make_uow: MakeUow
) -> None:
    _, anna_id, slot_id = await _seed(make_uow)
    async with make_uow() as uow:
        fd.ok(await uow.slots.get(slot_id))
        fd.ok(await uow.recruiters.get(anna_id))
    async with make_uow() as uow:
        slot = fd.ok(await uow.slots.get(slot_id))  # a hit
        slot.book(555, "Petr", "UTC")
        fd.ok(await uow.slots.update(slot))
        anna = fd.ok(await uow.recruiters.get(anna_id))  # a hit
        anna.name = "Anna K."
        fd.ok(await uow.recruiters.update(anna))
        await uow.commit()
    async with make_uow() as uow:
        slot = fd.ok(await uow.slots.get(slot_id))
        assert (slot.status, slot.candidate_telegram_id, slot.version) == ("pending", 555, 2)
        assert slot.recruiter.name == "Anna K."  # the slot embeds the recruiter: dropped too
        assert fd.ok(await uow.recruiters.get(anna_id)).name == "Anna K."


async def test_failure_and_none_are_not_cached(cache: CacheClient, make_uow: MakeUow) -> None:
    _, misses0 = hits_misses()
    for _ in range(2):
        async with make_uow() as uow:
            found = await uow.recruiters.get(424242)
            assert isinstance(found, Failure) and isinstance(found.error, NotFoundError)
    assert hits_misses()[1] == misses0 + 2


# --- keys that cover every argument -----------------------------------------------------------


async def test_after_is_part_of_the_free_slots_key(cache: CacheClient, make_uow: MakeUow) -> None:
    _, anna_id, _ = await _seed(make_uow)
    async with make_uow() as uow:
        early = fd.ok(await uow.slots.get_free_for_recruiter(anna_id, fd.at(-1)))
        late = fd.ok(await uow.slots.get_free_for_recruiter(anna_id, fd.at(1)))
        late_again = fd.ok(await uow.slots.get_free_for_recruiter(anna_id, fd.at(1)))
    assert len(early) == 2 and len(late) == 1 and len(late_again) == 1
    same_instant = fd.at(1).astimezone(fd.at(0).tzinfo) + timedelta(0)
    assert CacheKeys.slots_free_for_recruiter(anna_id, same_instant) == (
        CacheKeys.slots_free_for_recruiter(anna_id, fd.at(1))
    )


async def test_new_slot_shows_in_the_free_list_after_commit(
    cache: CacheClient, make_uow: MakeUow
) -> None:
    _, anna_id, _ = await _seed(make_uow)
    async with make_uow() as uow:
        assert len(fd.ok(await uow.slots.get_free_for_recruiter(anna_id, fd.at(-1)))) == 2
    async with make_uow() as uow:
        anna = fd.ok(await uow.recruiters.get(anna_id))
        await fd.slot(uow, anna, fd.at(5))
        await uow.commit()
    async with make_uow() as uow:
        assert len(fd.ok(await uow.slots.get_free_for_recruiter(anna_id, fd.at(-1)))) == 3


# --- after commit, never before, never on rollback --------------------------------------------


async def test_invalidation_waits_for_commit_and_is_dropped_on_rollback(
    cache: CacheClient, make_uow: MakeUow
) -> None:
    _, anna_id, _ = await _seed(make_uow)
    async with make_uow() as uow:
        fd.ok(await uow.recruiters.get(anna_id))  # cached as "Anna"

    async with make_uow() as writer:
        anna = fd.ok(await writer.recruiters.get(anna_id))
        anna.name = "Renamed"
        fd.ok(await writer.recruiters.update(anna))
        # The writer sees its own change (its reads of what it wrote bypass the cache, and a
        # bypass consults nothing: it is neither a hit nor a miss) ...
        before = hits_misses()
        assert fd.ok(await writer.recruiters.get(anna_id)).name == "Renamed"
        assert [r.name for r in fd.ok(await writer.recruiters.get_active())] == ["Renamed"]
        assert hits_misses() == before
        # ... others still see the committed row, served from the cache.
        hits0, _ = hits_misses()
        async with make_uow() as reader:
            assert fd.ok(await reader.recruiters.get(anna_id)).name == "Anna"
        assert hits_misses()[0] == hits0 + 1
        await writer.rollback()

    hits0, _ = hits_misses()
    async with make_uow() as uow:
        assert fd.ok(await uow.recruiters.get(anna_id)).name == "Anna"
    assert hits_misses()[0] == hits0 + 1  # still cached: the rollback invalidated nothing

    async with make_uow() as writer:
        anna = fd.ok(await writer.recruiters.get(anna_id))
        anna.name = "Committed"
        fd.ok(await writer.recruiters.update(anna))
        await writer.commit()
    async with make_uow() as uow:
        assert fd.ok(await uow.recruiters.get(anna_id)).name == "Committed"


async def test_leaving_without_commit_invalidates_nothing(
    cache: CacheClient, make_uow: MakeUow
) -> None:
    _, anna_id, _ = await _seed(make_uow)
    async with make_uow() as uow:
        fd.ok(await uow.recruiters.get(anna_id))
    async with make_uow() as uow:
        fd.ok(await uow.recruiters.delete(anna_id))  # never committed
    hits0, _ = hits_misses()
    async with make_uow() as uow:
        assert fd.ok(await uow.recruiters.get(anna_id)).id == anna_id
    assert hits_misses()[0] == hits0 + 1


async def test_outside_a_unit_of_work_invalidation_is_immediate(
    cache: CacheClient, session_factory: async_sessionmaker[AsyncSession], make_uow: MakeUow
) -> None:
    _, anna_id, _ = await _seed(make_uow)
    async with session_factory() as session:
        repo = RecruiterRepository(session)
        fd.ok(await repo.get(anna_id))
        anna = fd.ok(await repo.get(anna_id))
        anna.name = "Direct"
        fd.ok(await repo.update(anna))
        await session.commit()
    async with make_uow() as uow:
        assert fd.ok(await uow.recruiters.get(anna_id)).name == "Direct"


# --- the stale-refill race, forced -----------------------------------------------------------


class _PausingRecruiters(RecruiterRepository):
    """``get`` that reads the row, then waits at a gate before returning (and storing)."""

    read_done: asyncio.Event
    gate: asyncio.Event

    @cached(key_builder=lambda self, id: CacheKeys.recruiter(id))
    async def get(self, id: int) -> Result[Recruiter, Error]:
        result = await BaseRepository.get(self, id)
        self.read_done.set()
        await self.gate.wait()
        return result


async def test_a_reader_that_began_before_a_commit_cannot_store_what_it_read(
    cache: CacheClient, session_factory: async_sessionmaker[AsyncSession], make_uow: MakeUow
) -> None:
    _, anna_id, _ = await _seed(make_uow)
    async with UnitOfWork(session_factory, read_only=True) as slow_reader:
        repo = _PausingRecruiters(slow_reader.session)
        repo.read_done, repo.gate = asyncio.Event(), asyncio.Event()
        reading = asyncio.create_task(repo.get(anna_id))
        await repo.read_done.wait()  # it has the old row in hand, not yet stored

        async with make_uow() as writer:
            # (not writer.recruiters.get: it would join the paused reader's in-flight load)
            anna = await writer.session.get(Recruiter, anna_id)
            assert anna is not None
            anna.name = "New name"
            fd.ok(await writer.recruiters.update(anna))
            await writer.commit()  # invalidates after the commit

        repo.gate.set()
        assert fd.ok(await reading).name == "Anna"  # it read before the write: fine to return

    async with make_uow() as uow:
        assert fd.ok(await uow.recruiters.get(anna_id)).name == "New name"  # not refilled


async def test_template_write_drops_every_resolution(cache: CacheClient, make_uow: MakeUow) -> None:
    city_id, _, _ = await _seed(make_uow)
    async with make_uow() as uow:
        await fd.template(uow, "greeting", "Hello", None)
        await uow.commit()
    async with make_uow() as uow:
        assert fd.ok(await uow.templates.resolve(city_id, "greeting")).text == "Hello"
    async with make_uow() as uow:
        await fd.template(uow, "greeting", "Privet", city_id)
        await uow.commit()
    async with make_uow() as uow:
        assert fd.ok(await uow.templates.resolve(city_id, "greeting")).text == "Privet"
        assert [t.text for t in fd.ok(await uow.templates.get_for_city(city_id))] == ["Privet"]


async def test_user_update_reaches_lookup_by_telegram_id(
    cache: CacheClient, make_uow: MakeUow
) -> None:
    async with make_uow() as uow:
        await fd.user(uow, 99, "Old")
        await uow.commit()
    async with make_uow() as uow:
        user = fd.ok(await uow.users.get_by_telegram_id(99))
    async with make_uow() as uow:
        user = fd.ok(await uow.users.get_by_telegram_id(99))
        user.name = "New"
        fd.ok(await uow.users.update(user))
        await uow.commit()
    async with make_uow() as uow:
        assert fd.ok(await uow.users.get_by_telegram_id(99)).name == "New"


async def test_100_concurrent_cold_reads_of_one_recruiter_load_it_once(
    cache: CacheClient,
    session_factory: async_sessionmaker[AsyncSession],
    make_uow: MakeUow,
    count_queries: CountQueries,
) -> None:
    _, anna_id, _ = await _seed(make_uow)
    async with make_uow() as uow:
        fd.ok(await uow.recruiters.get(anna_id))
    with count_queries() as one_load:  # a reader, as below (a writer also sets lock_timeout)
        async with UnitOfWork(session_factory, read_only=True) as uow:
            fd.ok(await BaseRepository.get(uow.recruiters, anna_id))  # the uncached load
    await CacheInvalidator().invalidate_recruiter(anna_id)  # cold again

    async def read() -> str:
        async with UnitOfWork(session_factory, read_only=True) as uow:
            return fd.ok(await uow.recruiters.get(anna_id)).name

    with count_queries() as herd:
        names = await asyncio.gather(*(read() for _ in range(100)))
    assert names == ["Anna"] * 100
    assert herd.count == one_load.count  # one load's statements, not a hundred


async def test_add_many_shows_in_the_free_list_after_commit(
    cache: CacheClient, make_uow: MakeUow
) -> None:
    _, anna_id, _ = await _seed(make_uow)
    async with make_uow() as uow:
        assert len(fd.ok(await uow.slots.get_free_for_recruiter(anna_id, fd.at(-1)))) == 2
    async with make_uow() as uow:
        batch = [Slot(recruiter_id=anna_id, start_utc=fd.at(hour)) for hour in (5, 6, 7)]
        fd.ok(await uow.slots.add_many(batch))
        async with make_uow() as other:  # not before the commit
            assert len(fd.ok(await other.slots.get_free_for_recruiter(anna_id, fd.at(-1)))) == 2
        await uow.commit()
    async with make_uow() as uow:
        assert len(fd.ok(await uow.slots.get_free_for_recruiter(anna_id, fd.at(-1)))) == 5
