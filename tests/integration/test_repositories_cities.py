"""CityRepository: active cities, lookup by name, and the paged list."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from slotwise.repositories import UnitOfWork
from slotwise.result import NotFoundError, ValidationError

from .foundation_data import city, error, ok, recruiter

MakeUow = Callable[[], UnitOfWork]


async def three_cities(make_uow: MakeUow) -> dict[str, int]:
    async with make_uow() as uow:
        ids = {
            "Tokyo": (await city(uow, "Tokyo", timezone="Asia/Tokyo")).id,
            "Berlin": (await city(uow, "Berlin", timezone="Europe/Berlin", active=False)).id,
            "Moscow": (await city(uow, "Moscow")).id,
        }
        await uow.commit()
    return ids


async def test_get_active_is_ordered_by_name_and_skips_inactive(make_uow: MakeUow) -> None:
    await three_cities(make_uow)
    async with make_uow() as uow:
        assert [c.name for c in ok(await uow.cities.get_active())] == ["Moscow", "Tokyo"]


async def test_get_active_of_an_empty_table_is_an_empty_list(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        assert list(ok(await uow.cities.get_active())) == []


async def test_get_by_name(make_uow: MakeUow) -> None:
    ids = await three_cities(make_uow)
    async with make_uow() as uow:
        berlin = ok(await uow.cities.get_by_name("Berlin"))
        assert (berlin.id, berlin.timezone, berlin.active) == (
            ids["Berlin"],
            "Europe/Berlin",
            False,
        )
        missing = error(await uow.cities.get_by_name("Atlantis"))
    assert isinstance(missing, NotFoundError)
    assert missing.entity_id == "Atlantis"


async def test_get_by_name_is_exact(make_uow: MakeUow) -> None:
    await three_cities(make_uow)
    async with make_uow() as uow:
        assert isinstance(error(await uow.cities.get_by_name("berlin")), NotFoundError)
        assert isinstance(error(await uow.cities.get_by_name("Berlin ")), NotFoundError)


async def test_list_filters_pages_and_counts(make_uow: MakeUow) -> None:
    await three_cities(make_uow)
    async with make_uow() as uow:
        every = ok(await uow.cities.list())
        assert [c.name for c in every.items] == ["Berlin", "Moscow", "Tokyo"]
        assert (every.total, every.limit, every.offset) == (3, 100, 0)
        active = ok(await uow.cities.list(active=True))
        assert [c.name for c in active.items] == ["Moscow", "Tokyo"]
        assert active.total == 2
        inactive = ok(await uow.cities.list(active=False))
        assert [c.name for c in inactive.items] == ["Berlin"]
        page = ok(await uow.cities.list(limit=1, offset=1))
        assert [c.name for c in page.items] == ["Moscow"]
        assert page.total == 3
        beyond = ok(await uow.cities.list(limit=2, offset=10))
        assert (list(beyond.items), beyond.total) == ([], 3)


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (501, 0), (10, -1)])
async def test_list_rejects_a_bad_page(make_uow: MakeUow, limit: int, offset: int) -> None:
    async with make_uow() as uow:
        assert isinstance(error(await uow.cities.list(limit=limit, offset=offset)), ValidationError)


async def test_responsible_recruiter_is_set_null_when_the_recruiter_goes(
    make_uow: MakeUow,
) -> None:
    async with make_uow() as uow:
        anna = await recruiter(uow)
        moscow = await city(uow, responsible_recruiter_id=anna.id)
        await uow.commit()
    async with make_uow() as uow:
        ok(await uow.recruiters.delete(anna.id))
        await uow.commit()
    async with make_uow() as uow:
        assert ok(await uow.cities.get(moscow.id)).responsible_recruiter_id is None
