"""BaseRepository's generic methods (get, get_all, add, update, delete, exists, count).

Run for every repository, so that a subclass that breaks the generic contract (say, with a
loader option that does not fit) is caught too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest

from slotwise.domain.models import City, Recruiter, Slot, Template, User
from slotwise.persistence.repository.base import BaseRepository
from slotwise.repositories import UnitOfWork
from slotwise.result import (
    ConflictError,
    Failure,
    NotFoundError,
    Success,
    ValidationError,
)

from .foundation_data import T0, at, city, error, ok, recruiter

MakeUow = Callable[[], UnitOfWork]


KINDS = ["cities", "recruiters", "users", "templates", "slots"]


async def build(uow: UnitOfWork, kind: str, n: int) -> Any:
    """The n-th fresh, valid entity of ``kind`` (not yet added)."""
    if kind == "cities":
        return City(name=f"City {n}", timezone="UTC")
    if kind == "recruiters":
        return Recruiter(name=f"Recruiter {n}", timezone="UTC")
    if kind == "users":
        return User(telegram_id=1000 + n, name=f"User {n}")
    if kind == "templates":
        return Template(key=f"key{n}", text=f"text {n}")
    owners = ok(await uow.recruiters.get_all(limit=1))
    owner = owners[0] if owners else await recruiter(uow, "Slot owner")
    return Slot(recruiter_id=owner.id, start_utc=at(2 * n), duration_min=30)


def repo(uow: UnitOfWork, kind: str) -> BaseRepository[Any]:
    found: BaseRepository[Any] = getattr(uow, kind)
    return found


@pytest.mark.parametrize("kind", KINDS)
async def test_add_assigns_an_id_and_get_reads_it_back(make_uow: MakeUow, kind: str) -> None:
    async with make_uow() as uow:
        added = ok(await repo(uow, kind).add(await build(uow, kind, 1)))
        assert isinstance(added.id, int)
        await uow.commit()
    async with make_uow() as uow:
        again = ok(await repo(uow, kind).get(added.id))
        assert again.id == added.id
        assert type(again) is type(added)


@pytest.mark.parametrize("kind", KINDS)
async def test_get_of_a_missing_id_is_not_found(make_uow: MakeUow, kind: str) -> None:
    async with make_uow() as uow:
        err = error(await repo(uow, kind).get(987_654))
    assert isinstance(err, NotFoundError)
    assert err.entity_id == 987_654
    assert err.entity_type == repo(uow, kind).entity_type


@pytest.mark.parametrize("kind", KINDS)
async def test_count_exists_and_delete(make_uow: MakeUow, kind: str) -> None:
    async with make_uow() as uow:
        r = repo(uow, kind)
        before = ok(await r.count())
        first = ok(await r.add(await build(uow, kind, 1)))
        second = ok(await r.add(await build(uow, kind, 2)))
        assert ok(await r.count()) == before + 2
        assert ok(await r.exists(first.id)) is True
        assert ok(await r.exists(987_654)) is False
        assert ok(await r.delete(first.id)) is True
        assert ok(await r.exists(first.id)) is False
        assert ok(await r.exists(second.id)) is True
        assert ok(await r.count()) == before + 1
        await uow.commit()
    async with make_uow() as uow:
        assert isinstance(error(await repo(uow, kind).get(first.id)), NotFoundError)
        ok(await repo(uow, kind).get(second.id))


@pytest.mark.parametrize("kind", KINDS)
async def test_delete_of_a_missing_id_is_not_found(make_uow: MakeUow, kind: str) -> None:
    async with make_uow() as uow:
        err = error(await repo(uow, kind).delete(987_654))
    assert isinstance(err, NotFoundError)
    assert err.entity_id == 987_654


async def test_get_all_is_ordered_by_id_and_paged(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        ids = [(await city(uow, f"C{n:02}", timezone="UTC")).id for n in range(7)]
        await uow.commit()
    async with make_uow() as uow:
        assert [c.id for c in ok(await uow.cities.get_all())] == sorted(ids)
        assert [c.id for c in ok(await uow.cities.get_all(limit=3))] == sorted(ids)[:3]
        page = ok(await uow.cities.get_all(limit=3, offset=5))
        assert [c.id for c in page] == sorted(ids)[5:]
        assert ok(await uow.cities.get_all(limit=3, offset=50)) == []


@pytest.mark.parametrize(
    ("limit", "offset", "field"), [(0, 0, "limit"), (501, 0, "limit"), (1, -1, "offset")]
)
async def test_get_all_rejects_a_bad_page(
    make_uow: MakeUow, limit: int, offset: int, field: str
) -> None:
    async with make_uow() as uow:
        err = error(await uow.cities.get_all(limit=limit, offset=offset))
    assert isinstance(err, ValidationError)
    assert err.field == field


async def test_get_all_accepts_the_largest_page(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        await city(uow)
        assert len(ok(await uow.cities.get_all(limit=500))) == 1


async def test_update_changes_the_row(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        moscow = await city(uow)
        await uow.commit()
    async with make_uow() as uow:
        loaded = ok(await uow.cities.get(moscow.id))
        loaded.name = "Moskva"
        loaded.active = False
        updated = ok(await uow.cities.update(loaded))
        assert updated.name == "Moskva"
        await uow.commit()
    async with make_uow() as uow:
        again = ok(await uow.cities.get(moscow.id))
        assert (again.name, again.active) == ("Moskva", False)


async def test_update_of_a_detached_entity_is_merged(make_uow: MakeUow) -> None:
    """An entity from another unit of work (or rebuilt by the cache) can be updated."""
    async with make_uow() as uow:
        moscow = await city(uow)
        await uow.commit()
    moscow.name = "Moskva"  # `moscow` belongs to a closed session now
    async with make_uow() as uow:
        merged = ok(await uow.cities.update(moscow))
        assert merged.id == moscow.id
        await uow.commit()
    async with make_uow() as uow:
        assert ok(await uow.cities.get(moscow.id)).name == "Moskva"
        assert ok(await uow.cities.count()) == 1


async def test_update_of_a_hand_built_entity_with_an_id_is_merged(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        moscow = await city(uow)
        await uow.commit()
    async with make_uow() as uow:
        ok(await uow.cities.update(City(id=moscow.id, name="Moskva", timezone="Europe/Moscow")))
        await uow.commit()
    async with make_uow() as uow:
        assert ok(await uow.cities.get(moscow.id)).name == "Moskva"


# --- bad input: ValidationError, and nothing reaches the database ------------------------------

BAD_INPUT: list[tuple[str, Callable[[], Any], str]] = [
    ("empty city name", lambda: City(name="", timezone="UTC"), "name"),
    ("blank city name", lambda: City(name="   ", timezone="UTC"), "name"),
    ("city name too long", lambda: City(name="x" * 121, timezone="UTC"), "name"),
    ("unknown city timezone", lambda: City(name="X", timezone="Mars/Base"), "timezone"),
    ("empty recruiter name", lambda: Recruiter(name="", timezone="UTC"), "name"),
    ("unknown recruiter timezone", lambda: Recruiter(name="A", timezone="Nope"), "timezone"),
    ("ftp meeting url", lambda: Recruiter(name="A", meeting_url="ftp://x"), "meeting_url"),
    ("empty user name", lambda: User(telegram_id=5, name=""), "name"),
    ("unknown user timezone", lambda: User(telegram_id=5, name="A", timezone="X/Y"), "timezone"),
    ("empty template key", lambda: Template(key="", text="t"), "key"),
]


@pytest.mark.parametrize(("what", "make", "field"), BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
async def test_bad_input_is_a_validation_error_and_changes_nothing(
    make_uow: MakeUow, what: str, make: Callable[[], Any], field: str
) -> None:
    entity = make()
    kind = {City: "cities", Recruiter: "recruiters", User: "users", Template: "templates"}[
        type(entity)
    ]
    async with make_uow() as uow:
        err = error(await repo(uow, kind).add(entity))
        assert isinstance(err, ValidationError)
        assert err.field == field
        await uow.commit()
    async with make_uow() as uow:
        assert ok(await repo(uow, kind).count()) == 0


SLOT_BAD_INPUT: list[tuple[str, dict[str, Any], str]] = [
    ("naive start", {"start_utc": datetime(2031, 3, 3, 9)}, "start_utc"),
    ("duration 9", {"duration_min": 9}, "duration_min"),
    ("duration 481", {"duration_min": 481}, "duration_min"),
    ("unknown candidate timezone", {"candidate_timezone": "Bad/Zone"}, "candidate_timezone"),
]


@pytest.mark.parametrize(
    ("what", "fields", "field"), SLOT_BAD_INPUT, ids=[b[0] for b in SLOT_BAD_INPUT]
)
async def test_bad_slot_is_a_validation_error_and_changes_nothing(
    make_uow: MakeUow, what: str, fields: dict[str, Any], field: str
) -> None:
    async with make_uow() as uow:
        owner = await recruiter(uow)
        await uow.commit()
    values: dict[str, Any] = {"recruiter_id": owner.id, "start_utc": T0, "duration_min": 60}
    values.update(fields)
    async with make_uow() as uow:
        err = error(await uow.slots.add(Slot(**values)))
        assert isinstance(err, ValidationError)
        assert err.field == field
        await uow.commit()
    async with make_uow() as uow:
        assert ok(await uow.slots.count()) == 0


@pytest.mark.parametrize("minutes", [10, 480])
async def test_duration_bounds_are_accepted(make_uow: MakeUow, minutes: int) -> None:
    async with make_uow() as uow:
        owner = await recruiter(uow)
        added = ok(
            await uow.slots.add(Slot(recruiter_id=owner.id, start_utc=T0, duration_min=minutes))
        )
        await uow.commit()
    async with make_uow() as uow:
        again = ok(await uow.slots.get(added.id))
        assert again.duration_min == minutes
        assert again.end_utc == at(minutes / 60)


async def test_invalid_update_is_rejected_and_the_row_keeps_its_value(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        moscow = await city(uow)
        await uow.commit()
    async with make_uow() as uow:
        loaded = ok(await uow.cities.get(moscow.id))
        loaded.timezone = "Mars/Olympus"
        err = error(await uow.cities.update(loaded))
        assert isinstance(err, ValidationError)
        assert err.field == "timezone"
        await uow.commit()
    async with make_uow() as uow:
        assert ok(await uow.cities.get(moscow.id)).timezone == "Europe/Moscow"


async def test_unique_violation_is_a_conflict_naming_the_field(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        await city(uow, "Berlin", timezone="Europe/Berlin")
        err = error(await uow.cities.add(City(name="Berlin", timezone="Europe/Berlin")))
        assert isinstance(err, ConflictError)
        assert err.conflicting_field == "name"
        assert err.entity_type == "City"


async def test_unique_update_violation_is_a_conflict(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        await city(uow, "Berlin", timezone="Europe/Berlin")
        tokyo = await city(uow, "Tokyo", timezone="Asia/Tokyo")
        tokyo.name = "Berlin"
        err = error(await uow.cities.update(tokyo))
        assert isinstance(err, ConflictError)
        assert err.conflicting_field == "name"


async def test_missing_foreign_key_is_a_conflict(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        err = error(await uow.slots.add(Slot(recruiter_id=987_654, start_utc=T0)))
    assert isinstance(err, ConflictError)


async def test_results_support_match(make_uow: MakeUow) -> None:
    async def describe(call: Awaitable[Any]) -> str:
        match await call:
            case Success(City(name=name)):
                return f"found {name}"
            case Failure(NotFoundError(entity_id=missing)):
                return f"no city {missing}"
            case other:
                return f"unexpected {other!r}"

    async with make_uow() as uow:
        moscow = await city(uow)
        assert await describe(uow.cities.get(moscow.id)) == "found Moscow"
        assert await describe(uow.cities.get(424242)) == "no city 424242"


async def test_conflicting_update_leaves_nothing_behind(make_uow: MakeUow) -> None:
    """After a rejected update the unit of work still commits, without the rejected change."""
    async with make_uow() as uow:
        await city(uow, "Berlin", timezone="Europe/Berlin")
        tokyo = await city(uow, "Tokyo", timezone="Asia/Tokyo")
        await uow.commit()
    async with make_uow() as uow:
        loaded = ok(await uow.cities.get(tokyo.id))
        loaded.name = "Berlin"
        loaded.active = False
        assert isinstance(error(await uow.cities.update(loaded)), ConflictError)
        await city(uow, "Paris", timezone="Europe/Paris")
        await uow.commit()
    async with make_uow() as uow:
        again = ok(await uow.cities.get(tokyo.id))
        assert (again.name, again.active) == ("Tokyo", True)
        assert ok(await uow.cities.count()) == 3


async def test_rejected_update_of_a_relation_is_undone(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        moscow = await city(uow)
        berlin = await city(uow, "Berlin", timezone="Europe/Berlin")
        anna = await recruiter(uow, cities=[moscow])
        await uow.commit()
    async with make_uow() as uow:
        loaded = ok(await uow.recruiters.get(anna.id))
        loaded.cities = list(ok(await uow.recruiters.load_cities([berlin.id])))
        loaded.meeting_url = "ftp://nope"
        assert isinstance(error(await uow.recruiters.update(loaded)), ValidationError)
        assert loaded.meeting_url is None  # the rejected values are gone from memory too
        assert [c.id for c in loaded.cities] == [moscow.id]
        await uow.commit()
    async with make_uow() as uow:
        again = ok(await uow.recruiters.get(anna.id))
        assert [c.id for c in again.cities] == [moscow.id]
        assert again.meeting_url is None
