"""Refresh on write (``slotwise.cache.refresh``): after a write's commit and invalidation the
written slot or recruiter is re-read through the cache, so the next reader hits and sees the
write; a rollback refreshes nothing; a refresh is not counted as a read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slotwise.cache import refresh
from slotwise.cache.client import CacheClient
from slotwise.domain.models import SlotStatus
from slotwise.observability.metrics import get_metrics
from slotwise.repositories import UnitOfWork
from tests.integration import foundation_data as fd

MakeUow = Callable[[], UnitOfWork]


async def _slot(make_uow: MakeUow) -> tuple[int, int]:
    async with make_uow() as uow:
        anna = await fd.recruiter(uow, "Anna")
        slot = await fd.slot(uow, anna, fd.at(0))
        await uow.commit()
        return anna.id, slot.id


async def _book(make_uow: MakeUow, slot_id: int, *, commit: bool = True) -> None:
    async with make_uow() as uow:
        slot = fd.ok(await uow.slots.get_for_update(slot_id))
        slot.book(7, "Candidate", "UTC")
        fd.ok(await uow.slots.update(slot))
        if commit:
            await uow.commit()
        else:
            await uow.rollback()


async def test_a_booked_slot_is_cached_with_its_new_state_before_anyone_reads_it(
    cache: CacheClient, make_uow: MakeUow, count_queries: Any
) -> None:
    _, slot_id = await _slot(make_uow)
    await _book(make_uow, slot_id)
    await refresh.drain()
    with count_queries() as q:
        async with make_uow() as uow:
            again = fd.ok(await uow.slots.get(slot_id))
    assert q.count == 0  # the writer's refresh stored it
    assert (again.status, again.candidate_name) == (SlotStatus.PENDING, "Candidate")


async def test_a_renamed_recruiter_is_cached_with_the_new_name(
    cache: CacheClient, make_uow: MakeUow, count_queries: Any
) -> None:
    anna_id, _ = await _slot(make_uow)
    async with make_uow() as uow:
        anna = fd.ok(await uow.recruiters.get(anna_id))
        anna.name = "Anya"
        fd.ok(await uow.recruiters.update(anna))
        await uow.commit()
    await refresh.drain()
    with count_queries() as q:
        async with make_uow() as uow:
            assert fd.ok(await uow.recruiters.get(anna_id)).name == "Anya"
    assert q.count == 0


async def test_a_rolled_back_write_refreshes_nothing(
    cache: CacheClient, make_uow: MakeUow, count_queries: Any
) -> None:
    _, slot_id = await _slot(make_uow)
    refreshes = get_metrics().cache_refreshes
    await _book(make_uow, slot_id, commit=False)
    await refresh.drain()
    assert get_metrics().cache_refreshes == refreshes
    with count_queries() as q:
        async with make_uow() as uow:
            assert fd.ok(await uow.slots.get(slot_id)).status == SlotStatus.FREE
    assert q.count > 0  # nothing was stored for it: it was loaded


async def test_a_refresh_is_counted_apart_from_reads(cache: CacheClient, make_uow: MakeUow) -> None:
    _, slot_id = await _slot(make_uow)
    metrics = get_metrics()
    before = (metrics.cache_hits, metrics.cache_misses, metrics.cache_refreshes)
    await _book(make_uow, slot_id)
    await refresh.drain()
    after = (metrics.cache_hits, metrics.cache_misses, metrics.cache_refreshes)
    assert after == (before[0], before[1], before[2] + 1)
