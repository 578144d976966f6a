"""Cities and message templates on the in-memory fakes: create, change, delete."""

from __future__ import annotations

import pytest

from slotwise.domain.models import City, Template
from slotwise.result import ConflictError, NotFoundError, ValidationError
from slotwise.services import cities, templates
from tests.unit import fake_data as data
from tests.unit.fakes import FakeDatabase
from tests.unit.outcomes import error_of, value_of


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


# --- cities ----------------------------------------------------------------------------------


async def test_create_city_with_a_responsible_recruiter(db: FakeDatabase) -> None:
    anna = data.recruiter(db)
    cmd = cities.CreateCity("Kazan", "Europe/Moscow", responsible_recruiter_id=anna.id)

    result = await cities.create_city(db.uow_factory, cmd)

    made = value_of(result)
    stored = db.load(City, made.id)
    assert (stored.name, stored.timezone, stored.active) == ("Kazan", "Europe/Moscow", True)
    assert stored.responsible_recruiter_id == anna.id
    assert db.commits == 1
    assert db.published == [f"City:add:{made.id}"]


async def test_create_city_with_an_unknown_recruiter_creates_nothing(db: FakeDatabase) -> None:
    cmd = cities.CreateCity("Kazan", "Europe/Moscow", responsible_recruiter_id=404)

    result = await cities.create_city(db.uow_factory, cmd)

    error = error_of(result)
    assert isinstance(error, ValidationError)
    assert error.field == "responsible_recruiter_id"
    assert db.count(City) == 0
    assert db.commits == 0


@pytest.mark.parametrize(
    ("cmd", "field"),
    [
        (cities.CreateCity("", "UTC"), "name"),
        (cities.CreateCity("Kazan", "Kazan"), "timezone"),
    ],
)
async def test_create_city_with_bad_values_is_a_validation_error(
    db: FakeDatabase, cmd: cities.CreateCity, field: str
) -> None:
    result = await cities.create_city(db.uow_factory, cmd)

    error = error_of(result)
    assert isinstance(error, ValidationError)
    assert error.field == field
    assert db.count(City) == 0
    assert db.commits == 0


async def test_create_city_with_a_taken_name_conflicts(db: FakeDatabase) -> None:
    data.city(db, "Kazan")

    result = await cities.create_city(db.uow_factory, cities.CreateCity("Kazan", "UTC"))

    error = error_of(result)
    assert isinstance(error, ConflictError)
    assert error.conflicting_field == "name"
    assert db.count(City) == 1
    assert db.commits == 0


async def test_update_city_changes_only_what_is_given(db: FakeDatabase) -> None:
    moscow = data.city(db)
    anna = data.recruiter(db)

    result = await cities.update_city(
        db.uow_factory,
        cities.UpdateCity(moscow.id, {"active": False, "responsible_recruiter_id": anna.id}),
    )

    assert value_of(result).id == moscow.id
    stored = db.load(City, moscow.id)
    assert (stored.active, stored.responsible_recruiter_id) == (False, anna.id)
    assert (stored.name, stored.timezone) == ("Moscow", "Europe/Moscow")
    assert db.commits == 1
    assert db.published == [f"City:update:{moscow.id}"]


async def test_update_city_with_an_unknown_recruiter_changes_nothing(db: FakeDatabase) -> None:
    moscow = data.city(db)
    before = db.row(City, moscow.id)

    result = await cities.update_city(
        db.uow_factory,
        cities.UpdateCity(moscow.id, {"name": "Renamed", "responsible_recruiter_id": 404}),
    )

    assert isinstance(error_of(result), ValidationError)
    assert db.row(City, moscow.id) == before
    assert db.commits == 0


async def test_update_city_to_a_taken_name_conflicts(db: FakeDatabase) -> None:
    data.city(db, "Kazan")
    moscow = data.city(db)
    before = db.row(City, moscow.id)

    result = await cities.update_city(
        db.uow_factory, cities.UpdateCity(moscow.id, {"name": "Kazan"})
    )

    assert isinstance(error_of(result), ConflictError)
    assert db.row(City, moscow.id) == before
    assert db.commits == 0


async def test_update_a_missing_city_is_not_found(db: FakeDatabase) -> None:
    result = await cities.update_city(db.uow_factory, cities.UpdateCity(404, {"active": False}))

    assert error_of(result) == NotFoundError("City", 404)
    assert db.commits == 0


# --- templates -------------------------------------------------------------------------------


@pytest.mark.parametrize("for_city", [True, False])
async def test_create_template(db: FakeDatabase, for_city: bool) -> None:
    city_id = data.city(db).id if for_city else None

    result = await templates.create_template(
        db.uow_factory, templates.CreateTemplate("reminder", "At {time}.", city_id)
    )

    made = value_of(result)
    stored = db.load(Template, made.id)
    assert (stored.city_id, stored.key, stored.text) == (city_id, "reminder", "At {time}.")
    assert db.commits == 1
    assert db.published == [f"Template:add:{made.id}"]


async def test_create_template_in_an_unknown_city_creates_nothing(db: FakeDatabase) -> None:
    result = await templates.create_template(
        db.uow_factory, templates.CreateTemplate("reminder", "x", city_id=404)
    )

    assert error_of(result) == ValidationError("city_id", "no such city: 404", 404)
    assert db.count(Template) == 0
    assert db.commits == 0


async def test_create_template_with_an_empty_key_is_a_validation_error(db: FakeDatabase) -> None:
    result = await templates.create_template(db.uow_factory, templates.CreateTemplate(" ", "x"))

    error = error_of(result)
    assert isinstance(error, ValidationError)
    assert error.field == "key"
    assert db.count(Template) == 0


@pytest.mark.parametrize("for_city", [True, False])
async def test_create_template_with_a_taken_key_conflicts(db: FakeDatabase, for_city: bool) -> None:
    moscow = data.city(db) if for_city else None
    data.template(db, "reminder", moscow)

    result = await templates.create_template(
        db.uow_factory,
        templates.CreateTemplate("reminder", "x", moscow.id if moscow else None),
    )

    error = error_of(result)
    assert isinstance(error, ConflictError)
    assert error.conflicting_field == "key"
    assert db.count(Template) == 1
    assert db.commits == 0


async def test_a_city_may_override_a_global_key(db: FakeDatabase) -> None:
    data.template(db, "reminder")
    moscow = data.city(db)

    result = await templates.create_template(
        db.uow_factory, templates.CreateTemplate("reminder", "Напоминание", moscow.id)
    )

    assert value_of(result).city_id == moscow.id
    assert db.count(Template) == 2


async def test_update_template_changes_only_what_is_given(db: FakeDatabase) -> None:
    moscow = data.city(db)
    existing = data.template(db, "reminder")

    result = await templates.update_template(
        db.uow_factory,
        templates.UpdateTemplate(existing.id, {"text": "New text", "city_id": moscow.id}),
    )

    assert value_of(result).id == existing.id
    stored = db.load(Template, existing.id)
    assert (stored.city_id, stored.key, stored.text) == (moscow.id, "reminder", "New text")
    assert db.commits == 1


async def test_update_template_to_an_unknown_city_changes_nothing(db: FakeDatabase) -> None:
    existing = data.template(db, "reminder")
    before = db.row(Template, existing.id)

    result = await templates.update_template(
        db.uow_factory, templates.UpdateTemplate(existing.id, {"text": "New", "city_id": 404})
    )

    assert error_of(result) == ValidationError("city_id", "no such city: 404", 404)
    assert db.row(Template, existing.id) == before
    assert db.commits == 0


async def test_update_a_missing_template_is_not_found(db: FakeDatabase) -> None:
    result = await templates.update_template(
        db.uow_factory, templates.UpdateTemplate(404, {"text": "x"})
    )

    assert error_of(result) == NotFoundError("Template", 404)
    assert db.commits == 0


async def test_delete_template(db: FakeDatabase) -> None:
    existing = data.template(db)

    result = await templates.delete_template(db.uow_factory, templates.DeleteTemplate(existing.id))

    assert value_of(result) is True
    assert db.row(Template, existing.id) is None
    assert db.commits == 1
    assert db.published == [f"Template:delete:{existing.id}"]


async def test_delete_a_missing_template_is_not_found(db: FakeDatabase) -> None:
    result = await templates.delete_template(db.uow_factory, templates.DeleteTemplate(404))

    assert error_of(result) == NotFoundError("Template", 404)
    assert db.commits == 0
