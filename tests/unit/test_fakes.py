"""The fakes keep faith with what they stand in for: the same methods and parameters as the
real repositories and unit of work, and a transaction's writes seen by nobody until commit."""

from __future__ import annotations

import inspect

import pytest

from slotwise.domain.models import Slot, SlotStatus
from slotwise.repositories import (
    CityRepository,
    RecruiterRepository,
    SlotEventRepository,
    SlotRepository,
    TemplateRepository,
    UnitOfWork,
    UserRepository,
)
from tests.unit import fake_data as data
from tests.unit.fakes import (
    FakeCityRepository,
    FakeDatabase,
    FakeRecruiterRepository,
    FakeSlotEventRepository,
    FakeSlotRepository,
    FakeTemplateRepository,
    FakeUnitOfWork,
    FakeUserRepository,
)

PAIRS: list[tuple[type, type]] = [
    (FakeCityRepository, CityRepository),
    (FakeRecruiterRepository, RecruiterRepository),
    (FakeSlotRepository, SlotRepository),
    (FakeTemplateRepository, TemplateRepository),
    (FakeUserRepository, UserRepository),
    (FakeSlotEventRepository, SlotEventRepository),
    (FakeUnitOfWork, UnitOfWork),
]


def public_methods(cls: type) -> dict[str, object]:
    return {
        name: member
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_") or name in ("__aenter__", "__aexit__")
    }


@pytest.mark.parametrize(("fake", "real"), PAIRS, ids=lambda c: c.__name__)
def test_every_fake_method_exists_on_the_real_class_with_the_same_parameters(
    fake: type, real: type
) -> None:
    for name, method in public_methods(fake).items():
        assert hasattr(real, name), f"{real.__name__} has no {name}"
        ours = list(inspect.signature(method).parameters)  # type: ignore[arg-type]
        theirs = list(inspect.signature(getattr(real, name)).parameters)
        assert ours == theirs, f"{fake.__name__}.{name}{ours} != {real.__name__}{theirs}"


async def test_uncommitted_writes_are_invisible_to_other_units_and_dropped() -> None:
    db = FakeDatabase()
    free = data.slot(db, data.recruiter(db))
    async with db.uow_factory() as writer:
        slot = (await writer.slots.get_for_update(free.id)).unwrap()
        slot.book(data.HOLDER, "Olga")
        await writer.slots.update(slot)
        async with db.uow_factory() as reader:
            assert (await reader.slots.get(free.id)).unwrap().status == SlotStatus.FREE
    assert db.load(Slot, free.id).status == SlotStatus.FREE
    assert db.units[0].rolled_back
    assert db.units[0].commits == 0
    assert db.published == []


async def test_a_change_without_update_is_not_written() -> None:
    """The contract: writes go through repository methods (or the cache never hears of them)."""
    db = FakeDatabase()
    free = data.slot(db, data.recruiter(db))
    async with db.uow_factory() as uow:
        (await uow.slots.get_for_update(free.id)).unwrap().cancel()
        await uow.commit()
    assert db.load(Slot, free.id).status == SlotStatus.FREE
