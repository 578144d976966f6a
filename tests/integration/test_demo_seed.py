"""The demo seed writes through the repositories: validated, and the cache invalidated."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from slotwise.cache.client import CacheClient
from slotwise.demo import seed as demo_seed
from slotwise.demo.seed import SeedFailed, seed_demo
from slotwise.repositories import UnitOfWork
from slotwise.result import ValidationError

from .foundation_data import ok

MakeUow = Callable[[], UnitOfWork]


async def test_the_seed_invalidates_what_was_cached_before_it(
    cache: CacheClient, make_uow: MakeUow
) -> None:
    async with make_uow() as uow:
        assert ok(await uow.cities.get_active()) == []  # now cached
    report = await seed_demo(recruiters=3, days=3)
    assert (report.cities, report.recruiters) == (6, 3)
    async with make_uow() as uow:
        assert len(ok(await uow.cities.get_active())) == 6
        anna = ok(await uow.recruiters.get_active())[0]
        assert ok(await uow.slots.list()).total == report.slots > 0
        assert anna.cities
    again = await seed_demo(recruiters=3, days=3)
    assert (again.cities, again.recruiters, again.slots, again.templates) == (0, 0, 0, 0)


async def test_a_refused_entity_stops_the_seed_and_nothing_is_stored(
    make_uow: MakeUow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo_seed, "CITIES", (("Atlantis", "Mars/Olympus_Mons"),))
    with pytest.raises(SeedFailed) as refused:
        await seed_demo(recruiters=2, days=2)
    assert isinstance(refused.value.error, ValidationError)
    assert refused.value.error.field == "timezone"
    async with make_uow() as uow:
        assert ok(await uow.cities.count()) == 0
        assert ok(await uow.templates.count()) == 0
