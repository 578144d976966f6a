"""Recruiter management on the in-memory fakes: create, change (cities too), delete."""

from __future__ import annotations

from dataclasses import replace

import pytest

from slotwise.domain.models import City, Recruiter, Slot, SlotStatus
from slotwise.result import ConflictError, NotFoundError, ValidationError
from slotwise.services import recruiters
from tests.unit import fake_data as data
from tests.unit.fakes import CITY_IDS, FakeDatabase
from tests.unit.outcomes import error_of, value_of

NEW = recruiters.CreateRecruiter(
    "Clara Schmidt", timezone="Europe/Berlin", meeting_url="https://meet.x/1"
)


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


# --- create ----------------------------------------------------------------------------------


async def test_create_recruiter_with_cities(db: FakeDatabase) -> None:
    moscow, berlin = data.city(db), data.city(db, "Berlin", "Europe/Berlin")

    result = await recruiters.create_recruiter(
        db.uow_factory, replace(NEW, city_ids=(berlin.id, moscow.id))
    )

    made = value_of(result)
    stored = db.row(Recruiter, made.id)
    assert stored is not None
    assert (stored["name"], stored["timezone"]) == ("Clara Schmidt", "Europe/Berlin")
    assert stored["meeting_url"] == "https://meet.x/1"
    assert stored[CITY_IDS] == (moscow.id, berlin.id)
    assert sorted(city.id for city in made.cities) == [moscow.id, berlin.id]
    assert db.commits == 1


async def test_create_recruiter_without_cities(db: FakeDatabase) -> None:
    result = await recruiters.create_recruiter(db.uow_factory, NEW)

    made = value_of(result)
    assert db.load(Recruiter, made.id).cities == []
    assert db.commits == 1
    assert db.published == [f"Recruiter:add:{made.id}"]


async def test_create_recruiter_in_an_unknown_city_creates_nothing(db: FakeDatabase) -> None:
    moscow = data.city(db)

    result = await recruiters.create_recruiter(
        db.uow_factory, replace(NEW, city_ids=(moscow.id, 404, 405))
    )

    assert error_of(result) == ValidationError("city_ids", "no such cities: [404, 405]", [404, 405])
    assert db.count(Recruiter) == 0
    assert db.commits == 0


@pytest.mark.parametrize(
    ("cmd", "field"),
    [
        (replace(NEW, timezone="Mars/Base"), "timezone"),
        (replace(NEW, name="  "), "name"),
        (replace(NEW, meeting_url="ftp://x"), "meeting_url"),
    ],
)
async def test_create_recruiter_with_bad_values_is_a_validation_error(
    db: FakeDatabase, cmd: recruiters.CreateRecruiter, field: str
) -> None:
    result = await recruiters.create_recruiter(db.uow_factory, cmd)

    error = error_of(result)
    assert isinstance(error, ValidationError)
    assert error.field == field
    assert db.count(Recruiter) == 0
    assert db.commits == 0


async def test_create_recruiter_with_a_taken_chat_id_conflicts(db: FakeDatabase) -> None:
    data.recruiter(db, telegram_chat_id=77)

    result = await recruiters.create_recruiter(db.uow_factory, replace(NEW, telegram_chat_id=77))

    error = error_of(result)
    assert isinstance(error, ConflictError)
    assert error.conflicting_field == "telegram_chat_id"
    assert db.count(Recruiter) == 1
    assert db.commits == 0


# --- update ----------------------------------------------------------------------------------


async def test_update_recruiter_changes_only_what_is_given(db: FakeDatabase) -> None:
    moscow = data.city(db)
    anna = data.recruiter(db, cities=[moscow], telegram_chat_id=5)

    result = await recruiters.update_recruiter(
        db.uow_factory,
        recruiters.UpdateRecruiter(anna.id, {"active": False, "id": 999, "slots": []}),
    )

    assert value_of(result).id == anna.id
    stored = db.row(Recruiter, anna.id)
    assert stored is not None
    assert stored["active"] is False
    assert (stored["name"], stored["telegram_chat_id"]) == ("Anna Ivanova", 5)
    assert stored[CITY_IDS] == (moscow.id,)
    assert db.count(Recruiter) == 1
    assert db.commits == 1


async def test_update_recruiter_replaces_its_cities(db: FakeDatabase) -> None:
    moscow, berlin, tokyo = (
        data.city(db),
        data.city(db, "Berlin", "Europe/Berlin"),
        data.city(db, "Tokyo", "Asia/Tokyo"),
    )
    anna = data.recruiter(db, cities=[moscow, berlin])

    result = await recruiters.update_recruiter(
        db.uow_factory, recruiters.UpdateRecruiter(anna.id, {"city_ids": [tokyo.id, berlin.id]})
    )

    assert sorted(city.id for city in value_of(result).cities) == [berlin.id, tokyo.id]
    stored = db.row(Recruiter, anna.id)
    assert stored is not None
    assert stored[CITY_IDS] == (berlin.id, tokyo.id)
    assert db.commits == 1


async def test_update_recruiter_to_no_cities(db: FakeDatabase) -> None:
    anna = data.recruiter(db, cities=[data.city(db)])

    await recruiters.update_recruiter(
        db.uow_factory, recruiters.UpdateRecruiter(anna.id, {"city_ids": []})
    )

    assert db.load(Recruiter, anna.id).cities == []


async def test_update_recruiter_with_an_unknown_city_changes_nothing(db: FakeDatabase) -> None:
    moscow = data.city(db)
    anna = data.recruiter(db, cities=[moscow])
    before = db.row(Recruiter, anna.id)

    result = await recruiters.update_recruiter(
        db.uow_factory, recruiters.UpdateRecruiter(anna.id, {"name": "Renamed", "city_ids": [404]})
    )

    assert error_of(result) == ValidationError("city_ids", "no such cities: [404]", [404])
    assert db.row(Recruiter, anna.id) == before
    assert db.commits == 0
    assert db.published == []


async def test_update_recruiter_with_a_bad_value_changes_nothing(db: FakeDatabase) -> None:
    anna = data.recruiter(db)
    before = db.row(Recruiter, anna.id)

    result = await recruiters.update_recruiter(
        db.uow_factory, recruiters.UpdateRecruiter(anna.id, {"timezone": "Nowhere"})
    )

    error = error_of(result)
    assert isinstance(error, ValidationError)
    assert error.field == "timezone"
    assert db.row(Recruiter, anna.id) == before
    assert db.commits == 0


async def test_update_a_missing_recruiter_is_not_found(db: FakeDatabase) -> None:
    result = await recruiters.update_recruiter(
        db.uow_factory, recruiters.UpdateRecruiter(404, {"name": "X"})
    )

    assert error_of(result) == NotFoundError("Recruiter", 404)
    assert db.commits == 0


# --- delete ----------------------------------------------------------------------------------


async def test_delete_recruiter_removes_it_and_its_unheld_slots(db: FakeDatabase) -> None:
    anna = data.recruiter(db)
    moscow = db.seed(
        City(name="Moscow", timezone="Europe/Moscow", responsible_recruiter_id=anna.id)
    )
    free = data.slot(db, anna, hour=0)
    canceled = data.slot(db, anna, hour=2, status=SlotStatus.CANCELED)
    others = data.slot(db, data.recruiter(db, name="Boris"), status=SlotStatus.BOOKED)

    result = await recruiters.delete_recruiter(db.uow_factory, recruiters.DeleteRecruiter(anna.id))

    assert value_of(result) is True
    assert db.row(Recruiter, anna.id) is None
    assert db.row(Slot, free.id) is None
    assert db.row(Slot, canceled.id) is None
    assert db.row(Slot, others.id) is not None
    assert db.load(City, moscow.id).responsible_recruiter_id is None
    assert db.last_uow.locked == [free.id, canceled.id]
    assert db.commits == 1


@pytest.mark.parametrize(
    "status", [SlotStatus.PENDING, SlotStatus.BOOKED, SlotStatus.CONFIRMED_BY_CANDIDATE]
)
async def test_delete_recruiter_with_an_active_booking_is_refused(
    db: FakeDatabase, status: SlotStatus
) -> None:
    anna = data.recruiter(db)
    free = data.slot(db, anna, hour=0)
    held = data.slot(db, anna, hour=2, status=status)

    result = await recruiters.delete_recruiter(db.uow_factory, recruiters.DeleteRecruiter(anna.id))

    error = error_of(result)
    assert type(error) is ConflictError
    assert error.conflicting_field == "slots"
    assert db.row(Recruiter, anna.id) is not None
    assert db.count(Slot) == 2
    assert db.last_uow.locked == [free.id, held.id]  # locked before the check
    assert db.commits == 0
    assert db.published == []


async def test_delete_a_missing_recruiter_is_not_found(db: FakeDatabase) -> None:
    result = await recruiters.delete_recruiter(db.uow_factory, recruiters.DeleteRecruiter(404))

    assert error_of(result) == NotFoundError("Recruiter", 404)
    assert db.commits == 0
