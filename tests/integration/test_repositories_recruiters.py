"""RecruiterRepository: active ones, by city, by Telegram chat, the paged list, bookings."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest

from slotwise.domain.models import Recruiter, SlotStatus
from slotwise.repositories import UnitOfWork
from slotwise.result import ConflictError, NotFoundError, ValidationError

from .foundation_data import at, city, error, ok, recruiter, slot

MakeUow = Callable[[], UnitOfWork]


async def team(make_uow: MakeUow) -> dict[str, int]:
    """Moscow: Anna, Boris (inactive), Clara; Berlin: Clara, Dieter. Eve works nowhere."""
    async with make_uow() as uow:
        moscow = await city(uow, "Moscow")
        berlin = await city(uow, "Berlin", timezone="Europe/Berlin")
        ids = {
            "moscow": moscow.id,
            "berlin": berlin.id,
            "Anna": (await recruiter(uow, "Anna", [moscow], telegram_chat_id=501)).id,
            "Boris": (await recruiter(uow, "Boris", [moscow], active=False)).id,
            "Clara": (await recruiter(uow, "Clara", [moscow, berlin])).id,
            "Dieter": (await recruiter(uow, "Dieter", [berlin], timezone="Europe/Berlin")).id,
            "Eve": (await recruiter(uow, "Eve")).id,
        }
        await uow.commit()
    return ids


def names(recruiters: Iterable[Recruiter]) -> list[str]:
    return [r.name for r in recruiters]


async def test_get_active_is_ordered_by_id_and_skips_inactive(make_uow: MakeUow) -> None:
    await team(make_uow)
    async with make_uow() as uow:
        assert names(ok(await uow.recruiters.get_active())) == ["Anna", "Clara", "Dieter", "Eve"]


async def test_recruiters_come_with_their_cities(make_uow: MakeUow) -> None:
    """``cities`` is loaded on every read path (it is lazy="raise" otherwise)."""
    ids = await team(make_uow)
    async with make_uow() as uow:
        reads = [
            [ok(await uow.recruiters.get(ids["Clara"]))],
            ok(await uow.recruiters.get_all()),
            ok(await uow.recruiters.get_active()),
            ok(await uow.recruiters.get_for_city(ids["berlin"])),
            [ok(await uow.recruiters.get_by_telegram_chat_id(501))],
            ok(await uow.recruiters.list()).items,
        ]
        for read in reads:
            for r in read:
                assert {c.id for c in r.cities} <= {ids["moscow"], ids["berlin"]}
        clara = ok(await uow.recruiters.get(ids["Clara"]))
        assert sorted(c.name for c in clara.cities) == ["Berlin", "Moscow"]


async def test_get_for_city_lists_active_recruiters_of_that_city(make_uow: MakeUow) -> None:
    ids = await team(make_uow)
    async with make_uow() as uow:
        assert names(ok(await uow.recruiters.get_for_city(ids["moscow"]))) == ["Anna", "Clara"]
        assert names(ok(await uow.recruiters.get_for_city(ids["berlin"]))) == ["Clara", "Dieter"]
        assert list(ok(await uow.recruiters.get_for_city(987_654))) == []


async def test_get_for_city_returns_all_cities_of_each_recruiter(make_uow: MakeUow) -> None:
    """The join that filters by city must not cut the loaded ``cities`` down to that city."""
    ids = await team(make_uow)
    async with make_uow() as uow:
        clara = next(
            r for r in ok(await uow.recruiters.get_for_city(ids["berlin"])) if r.name == "Clara"
        )
        assert {c.id for c in clara.cities} == {ids["moscow"], ids["berlin"]}


async def test_get_by_telegram_chat_id(make_uow: MakeUow) -> None:
    ids = await team(make_uow)
    async with make_uow() as uow:
        assert ok(await uow.recruiters.get_by_telegram_chat_id(501)).id == ids["Anna"]
        missing = error(await uow.recruiters.get_by_telegram_chat_id(502))
    assert isinstance(missing, NotFoundError)
    assert missing.entity_id == 502


async def test_duplicate_telegram_chat_id_is_a_conflict(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        await recruiter(uow, "Anna", telegram_chat_id=7)
        err = error(await uow.recruiters.add(Recruiter(name="Bob", telegram_chat_id=7)))
    assert isinstance(err, ConflictError)
    assert err.conflicting_field == "telegram_chat_id"


async def test_many_recruiters_may_have_no_telegram_chat(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        await recruiter(uow, "Anna")
        await recruiter(uow, "Bob")
        assert ok(await uow.recruiters.count()) == 2


async def test_list_filters_and_pages(make_uow: MakeUow) -> None:
    ids = await team(make_uow)
    async with make_uow() as uow:
        every = ok(await uow.recruiters.list())
        assert names(every.items) == ["Anna", "Boris", "Clara", "Dieter", "Eve"]
        assert every.total == 5
        assert names(ok(await uow.recruiters.list(active=False)).items) == ["Boris"]
        moscow = ok(await uow.recruiters.list(city_id=ids["moscow"]))
        assert names(moscow.items) == ["Anna", "Boris", "Clara"]
        assert moscow.total == 3
        active_moscow = ok(await uow.recruiters.list(active=True, city_id=ids["moscow"]))
        assert names(active_moscow.items) == ["Anna", "Clara"]
        page = ok(await uow.recruiters.list(limit=2, offset=2))
        assert names(page.items) == ["Clara", "Dieter"]
        assert (page.total, page.limit, page.offset) == (5, 2, 2)
        # A recruiter in two cities is one row of the list, not two.
        berlin = ok(await uow.recruiters.list(city_id=ids["berlin"]))
        assert names(berlin.items) == ["Clara", "Dieter"]
        assert berlin.total == 2


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (501, 0), (1, -1)])
async def test_list_rejects_a_bad_page(make_uow: MakeUow, limit: int, offset: int) -> None:
    async with make_uow() as uow:
        err = error(await uow.recruiters.list(limit=limit, offset=offset))
    assert isinstance(err, ValidationError)


async def test_changing_cities_through_update(make_uow: MakeUow) -> None:
    ids = await team(make_uow)
    async with make_uow() as uow:
        anna = ok(await uow.recruiters.get(ids["Anna"]))
        anna.cities = list(ok(await uow.recruiters.load_cities([ids["berlin"], ids["moscow"]])))
        ok(await uow.recruiters.update(anna))
        await uow.commit()
    async with make_uow() as uow:
        anna = ok(await uow.recruiters.get(ids["Anna"]))
        assert {c.id for c in anna.cities} == {ids["moscow"], ids["berlin"]}
        anna.cities = []
        ok(await uow.recruiters.update(anna))
        await uow.commit()
    async with make_uow() as uow:
        assert ok(await uow.recruiters.get(ids["Anna"])).cities == []
        assert names(ok(await uow.recruiters.get_for_city(ids["berlin"]))) == ["Clara", "Dieter"]


async def test_load_cities(make_uow: MakeUow) -> None:
    ids = await team(make_uow)
    async with make_uow() as uow:
        found = ok(await uow.recruiters.load_cities([ids["berlin"], 987_654, ids["moscow"]]))
        assert sorted(c.id for c in found) == sorted([ids["berlin"], ids["moscow"]])
        assert list(ok(await uow.recruiters.load_cities([]))) == []


async def test_has_active_bookings(make_uow: MakeUow) -> None:
    ids = await team(make_uow)
    async with make_uow() as uow:
        anna = ok(await uow.recruiters.get(ids["Anna"]))
        await slot(uow, anna, at(0))
        await slot(uow, anna, at(1), status=SlotStatus.CANCELED)
        assert ok(await uow.recruiters.has_active_bookings(ids["Anna"])) is False
        for n, status in enumerate(
            [SlotStatus.PENDING, SlotStatus.BOOKED, SlotStatus.CONFIRMED_BY_CANDIDATE]
        ):
            other = ok(await uow.recruiters.get(ids["Clara"]))
            held = await slot(uow, other, at(10 + n), status=status, candidate=100 + n)
            assert ok(await uow.recruiters.has_active_bookings(ids["Clara"])) is True
            ok(await uow.slots.delete(held.id))
        assert ok(await uow.recruiters.has_active_bookings(ids["Clara"])) is False
        assert ok(await uow.recruiters.has_active_bookings(987_654)) is False


async def test_deleting_a_recruiter_removes_its_slots_and_links(make_uow: MakeUow) -> None:
    ids = await team(make_uow)
    async with make_uow() as uow:
        clara = ok(await uow.recruiters.get(ids["Clara"]))
        await slot(uow, clara, at(0))
        await uow.commit()
    async with make_uow() as uow:
        ok(await uow.recruiters.delete(ids["Clara"]))
        await uow.commit()
    async with make_uow() as uow:
        assert ok(await uow.slots.count()) == 0
        assert names(ok(await uow.recruiters.get_for_city(ids["berlin"]))) == ["Dieter"]
        assert ok(await uow.cities.count()) == 2
