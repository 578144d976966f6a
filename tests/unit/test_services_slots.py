"""Slot management on the in-memory fakes: create one, create many (all or nothing), delete."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from slotwise.domain.models import Slot, SlotStatus
from slotwise.result import (
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    ValidationError,
)
from slotwise.services import slots
from slotwise.services.slots import CreateSlots, DeleteSlot, NewSlot
from tests.unit import fake_data as data
from tests.unit.fake_data import T0
from tests.unit.fakes import FakeDatabase
from tests.unit.outcomes import error_of, value_of


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


def at(hour: float) -> datetime:
    return T0 + timedelta(hours=hour)


def assert_no_slot_written(db: FakeDatabase, existing: int = 0) -> None:
    assert db.commits == 0
    assert db.published == []
    assert db.count(Slot) == existing


# --- create_slot ---------------------------------------------------------------------------


async def test_create_slot_stores_a_free_slot_and_its_end(db: FakeDatabase) -> None:
    anna, moscow = data.recruiter(db), data.city(db)

    result = await slots.create_slot(
        db.uow_factory, NewSlot(anna.id, at(0), duration_min=45, city_id=moscow.id)
    )

    made = value_of(result)
    stored = db.load(Slot, made.id)
    assert stored.status == SlotStatus.FREE
    assert (stored.recruiter_id, stored.city_id) == (anna.id, moscow.id)
    assert (stored.start_utc, stored.end_utc) == (at(0), at(0.75))
    assert stored.candidate_telegram_id is None
    assert db.commits == 1
    assert db.published == [f"Slot:add:{made.id}"]


async def test_create_slot_for_an_unknown_recruiter_is_a_validation_error(
    db: FakeDatabase,
) -> None:
    result = await slots.create_slot(db.uow_factory, NewSlot(404, at(0)))

    assert error_of(result) == ValidationError("recruiter_id", "no such recruiter: 404", 404)
    assert_no_slot_written(db)


async def test_create_slot_in_an_unknown_city_is_a_validation_error(db: FakeDatabase) -> None:
    anna = data.recruiter(db)

    result = await slots.create_slot(db.uow_factory, NewSlot(anna.id, at(0), city_id=404))

    assert error_of(result) == ValidationError("city_id", "no such city: 404", 404)
    assert_no_slot_written(db)


@pytest.mark.parametrize(
    ("start", "duration", "field"),
    [
        (datetime(2030, 1, 7, 9, 0), 60, "start_utc"),  # naive: no offset
        (T0, 5, "duration_min"),
        (T0, 481, "duration_min"),
    ],
)
async def test_create_slot_with_bad_values_is_a_validation_error(
    db: FakeDatabase, start: datetime, duration: int, field: str
) -> None:
    anna = data.recruiter(db)

    result = await slots.create_slot(db.uow_factory, NewSlot(anna.id, start, duration))

    error = error_of(result)
    assert isinstance(error, ValidationError)
    assert error.field == field  # a single slot: no "slots[0]." prefix
    assert_no_slot_written(db)


async def test_create_slot_overlapping_another_conflicts(db: FakeDatabase) -> None:
    anna = data.recruiter(db)
    data.slot(db, anna, hour=0)

    result = await slots.create_slot(db.uow_factory, NewSlot(anna.id, at(0.5)))

    error = error_of(result)
    assert type(error) is ConflictError
    assert error.conflicting_field == "start_utc"
    assert_no_slot_written(db, existing=1)


async def test_a_canceled_slot_does_not_block_its_time(db: FakeDatabase) -> None:
    anna = data.recruiter(db)
    data.slot(db, anna, hour=0, status=SlotStatus.CANCELED)

    result = await slots.create_slot(db.uow_factory, NewSlot(anna.id, at(0)))

    assert value_of(result).status == SlotStatus.FREE
    assert db.count(Slot) == 2


async def test_another_recruiters_slot_does_not_block_the_time(db: FakeDatabase) -> None:
    data.slot(db, data.recruiter(db), hour=0)
    boris = data.recruiter(db, name="Boris")

    result = await slots.create_slot(db.uow_factory, NewSlot(boris.id, at(0)))

    assert value_of(result).recruiter_id == boris.id


# --- create_slots ------------------------------------------------------------------------------


async def test_create_slots_stores_the_whole_batch_in_order_in_one_commit(
    db: FakeDatabase,
) -> None:
    anna = data.recruiter(db)
    batch = [NewSlot(anna.id, at(hour)) for hour in (4, 1, 2)]

    result = await slots.create_slots(db.uow_factory, CreateSlots(tuple(batch)))

    made = value_of(result)
    assert [s.start_utc for s in made] == [at(4), at(1), at(2)]
    assert all(db.load(Slot, s.id).status == SlotStatus.FREE for s in made)
    assert db.count(Slot) == 3
    assert db.commits == 1
    assert len(db.published) == 3


async def test_create_slots_overlap_inside_the_batch_creates_none(db: FakeDatabase) -> None:
    anna = data.recruiter(db)
    batch = [NewSlot(anna.id, at(0)), NewSlot(anna.id, at(2)), NewSlot(anna.id, at(2.5))]

    result = await slots.create_slots(db.uow_factory, CreateSlots(tuple(batch)))

    error = error_of(result)
    assert type(error) is ConflictError
    assert error.conflicting_field == "slots[2].start_utc"
    assert error.message.startswith("slots[2]: ")
    assert db.last_uow.rolled_back
    assert_no_slot_written(db)


async def test_create_slots_overlap_with_a_stored_slot_creates_none(db: FakeDatabase) -> None:
    anna = data.recruiter(db)
    data.slot(db, anna, hour=10)
    batch = [NewSlot(anna.id, at(0)), NewSlot(anna.id, at(10))]

    result = await slots.create_slots(db.uow_factory, CreateSlots(tuple(batch)))

    error = error_of(result)
    assert isinstance(error, ConflictError)
    assert error.conflicting_field == "slots[1].start_utc"
    assert_no_slot_written(db, existing=1)


async def test_create_slots_invalid_item_is_named_and_creates_none(db: FakeDatabase) -> None:
    anna = data.recruiter(db)
    batch = [NewSlot(anna.id, at(0)), NewSlot(anna.id, at(2)), NewSlot(anna.id, at(4), 5)]

    result = await slots.create_slots(db.uow_factory, CreateSlots(tuple(batch)))

    error = error_of(result)
    assert isinstance(error, ValidationError)
    assert error.field == "slots[2].duration_min"
    assert_no_slot_written(db)


async def test_create_slots_with_an_unknown_recruiter_anywhere_creates_none(
    db: FakeDatabase,
) -> None:
    anna = data.recruiter(db)
    batch = [NewSlot(anna.id, at(0)), NewSlot(404, at(2))]

    result = await slots.create_slots(db.uow_factory, CreateSlots(tuple(batch)))

    assert error_of(result) == ValidationError("recruiter_id", "no such recruiter: 404", 404)
    assert_no_slot_written(db)


# --- delete_slot ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [SlotStatus.FREE, SlotStatus.CANCELED])
async def test_delete_slot_removes_a_slot_nobody_holds(
    db: FakeDatabase, status: SlotStatus
) -> None:
    target = data.slot(db, data.recruiter(db), status=status)

    result = await slots.delete_slot(db.uow_factory, DeleteSlot(target.id))

    assert value_of(result) is True
    assert db.row(Slot, target.id) is None
    assert db.commits == 1
    assert db.last_uow.locked == [target.id]
    assert db.published == [f"Slot:delete:{target.id}"]


@pytest.mark.parametrize(
    "status", [SlotStatus.PENDING, SlotStatus.BOOKED, SlotStatus.CONFIRMED_BY_CANDIDATE]
)
async def test_delete_slot_refuses_a_held_slot(db: FakeDatabase, status: SlotStatus) -> None:
    target = data.slot(db, data.recruiter(db), status=status)
    before = db.row(Slot, target.id)

    result = await slots.delete_slot(db.uow_factory, DeleteSlot(target.id))

    error = error_of(result)
    assert isinstance(error, InvalidTransitionError)
    assert (error.action, error.from_status) == ("delete", status.value)
    assert db.row(Slot, target.id) == before
    assert db.commits == 0
    assert db.published == []


async def test_delete_slot_that_does_not_exist_is_not_found(db: FakeDatabase) -> None:
    result = await slots.delete_slot(db.uow_factory, DeleteSlot(404))

    assert error_of(result) == NotFoundError("Slot", 404)
    assert db.commits == 0
