"""What the write use cases lock, in which order, and the preconditions they decide on the
locked row (the ``If-Match`` of the API), on the in-memory fakes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from slotwise.domain.models import City, Recruiter, Slot, Template
from slotwise.result import ConflictError, NotFoundError
from slotwise.services import cities, recruiters, slots, templates
from slotwise.services.common import PreconditionFailedError
from slotwise.services.slots import CreateSlots, NewSlot, insert_order
from tests.unit import fake_data as data
from tests.unit.fake_data import T0
from tests.unit.fakes import CITY_IDS, FakeDatabase
from tests.unit.outcomes import error_of, value_of


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


def never(entity: object) -> bool:
    return False


def always(entity: object) -> bool:
    return True


def assert_refused_unchanged(db: FakeDatabase, error: object, entity_type: str) -> None:
    assert isinstance(error, PreconditionFailedError)
    assert isinstance(error, ConflictError)  # code matching on conflicts still sees it
    assert (error.entity_type, error.conflicting_field) == (entity_type, "If-Match")
    assert db.commits == 0
    assert db.published == []


# --- preconditions are decided on the row-locked row -------------------------------------------


async def test_update_recruiter_decides_if_match_on_the_locked_row(db: FakeDatabase) -> None:
    moscow, berlin = data.city(db), data.city(db, "Berlin", "Europe/Berlin")
    anna = data.recruiter(db, cities=[moscow])
    seen: list[list[int]] = []

    def expected(recruiter: Recruiter) -> bool:
        seen.append(sorted(c.id for c in recruiter.cities))
        return True

    cmd = recruiters.UpdateRecruiter(anna.id, {"city_ids": [berlin.id]}, expected)
    value_of(await recruiters.update_recruiter(db.uow_factory, cmd))

    assert seen == [[moscow.id]]  # the state before this change
    assert db.last_uow.locks == [(Recruiter, anna.id)]
    assert db.row(Recruiter, anna.id)[CITY_IDS] == (berlin.id,)  # type: ignore[index]


async def test_update_recruiter_with_a_failed_precondition_changes_nothing(
    db: FakeDatabase,
) -> None:
    anna = data.recruiter(db)
    cmd = recruiters.UpdateRecruiter(anna.id, {"name": "Changed"}, never)

    error = error_of(await recruiters.update_recruiter(db.uow_factory, cmd))

    assert_refused_unchanged(db, error, "Recruiter")
    assert db.load(Recruiter, anna.id).name == "Anna Ivanova"


async def test_delete_recruiter_with_a_failed_precondition_deletes_nothing(
    db: FakeDatabase,
) -> None:
    anna = data.recruiter(db)
    free = data.slot(db, anna)

    error = error_of(
        await recruiters.delete_recruiter(
            db.uow_factory, recruiters.DeleteRecruiter(anna.id, never)
        )
    )

    assert_refused_unchanged(db, error, "Recruiter")
    assert db.row(Recruiter, anna.id) is not None and db.row(Slot, free.id) is not None
    assert db.last_uow.locks == [(Recruiter, anna.id)]  # refused before its slots were locked


async def test_update_city_and_template_with_failed_preconditions(db: FakeDatabase) -> None:
    moscow = data.city(db)
    reminder = data.template(db)

    city_error = error_of(
        await cities.update_city(
            db.uow_factory, cities.UpdateCity(moscow.id, {"active": False}, never)
        )
    )
    assert_refused_unchanged(db, city_error, "City")
    assert db.last_uow.locks == [(City, moscow.id)]
    update = templates.UpdateTemplate(reminder.id, {"text": "new"}, never)
    assert_refused_unchanged(
        db, error_of(await templates.update_template(db.uow_factory, update)), "Template"
    )
    delete = templates.DeleteTemplate(reminder.id, never)
    assert_refused_unchanged(
        db, error_of(await templates.delete_template(db.uow_factory, delete)), "Template"
    )
    assert db.last_uow.locks == [(Template, reminder.id)]
    assert db.load(City, moscow.id).active is True
    assert db.load(Template, reminder.id).text == "See you at {time}."


async def test_met_preconditions_write_as_without_one(db: FakeDatabase) -> None:
    moscow = data.city(db)
    reminder = data.template(db)

    await cities.update_city(
        db.uow_factory, cities.UpdateCity(moscow.id, {"active": False}, always)
    )
    update = templates.UpdateTemplate(reminder.id, {"text": "new"}, always)
    value_of(await templates.update_template(db.uow_factory, update))
    assert db.load(City, moscow.id).active is False
    assert db.load(Template, reminder.id).text == "new"
    delete = templates.DeleteTemplate(reminder.id, always)
    assert value_of(await templates.delete_template(db.uow_factory, delete)) is True
    assert db.row(Template, reminder.id) is None


async def test_a_precondition_on_a_missing_row_is_not_found(db: FakeDatabase) -> None:
    cmd = templates.DeleteTemplate(404, always)

    assert error_of(await templates.delete_template(db.uow_factory, cmd)) == NotFoundError(
        "Template", 404
    )


# --- lock order ---------------------------------------------------------------------------------


async def test_delete_recruiter_locks_the_recruiter_before_its_slots(db: FakeDatabase) -> None:
    anna = data.recruiter(db)
    first, second = data.slot(db, anna, hour=0), data.slot(db, anna, hour=2)

    value_of(await recruiters.delete_recruiter(db.uow_factory, recruiters.DeleteRecruiter(anna.id)))

    assert db.last_uow.locks == [(Recruiter, anna.id), (Slot, first.id), (Slot, second.id)]


async def test_bulk_create_inserts_in_recruiter_then_start_order(db: FakeDatabase) -> None:
    anna, boris = data.recruiter(db), data.recruiter(db, name="Boris")
    hour = timedelta(hours=1)
    batch = (
        NewSlot(boris.id, T0),
        NewSlot(anna.id, T0 + 5 * hour),
        NewSlot(anna.id, T0 + hour),
        NewSlot(boris.id, T0 - 3 * hour),
    )

    made = value_of(await slots.create_slots(db.uow_factory, CreateSlots(batch)))

    # Returned in the request's order; ids (given at insert) show the order of the inserts.
    assert [(s.recruiter_id, s.start_utc) for s in made] == [
        (n.recruiter_id, n.start_utc) for n in batch
    ]
    inserted = sorted(made, key=lambda s: s.id)
    assert [(s.recruiter_id, s.start_utc) for s in inserted] == sorted(
        (n.recruiter_id, n.start_utc) for n in batch
    )
    assert insert_order(batch) == [2, 1, 3, 0]


async def test_bulk_create_names_the_request_item_that_failed(db: FakeDatabase) -> None:
    anna = data.recruiter(db)
    # Inserted as [1] then [0]: the overlap is found at the second insert, item 0.
    batch = (NewSlot(anna.id, T0 + timedelta(minutes=30)), NewSlot(anna.id, T0))

    error = error_of(await slots.create_slots(db.uow_factory, CreateSlots(batch)))

    assert isinstance(error, ConflictError)
    assert error.conflicting_field == "slots[0].start_utc"
    assert db.count(Slot) == 0
