"""The audit trail on the in-memory fakes: one event per booking transition, with who (the
command's actor and the candidate), what (action, from -> to) and when; none for a refused
transition or a failed commit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from slotwise.domain.audit import Actor, ActorRole, SlotEvent
from slotwise.domain.models import SlotStatus
from slotwise.result import DatabaseError
from slotwise.services import booking
from tests.unit import fake_data as data
from tests.unit.fake_data import HOLDER, OTHER
from tests.unit.fakes import FakeDatabase
from tests.unit.outcomes import error_of, value_of

ADMIN = Actor(ActorRole.ADMIN)
BOT = Actor(ActorRole.BOT)
F, P, B, C, X = (
    SlotStatus.FREE,
    SlotStatus.PENDING,
    SlotStatus.BOOKED,
    SlotStatus.CONFIRMED_BY_CANDIDATE,
    SlotStatus.CANCELED,
)


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


def summary(event: SlotEvent) -> tuple[object, ...]:
    return (
        event.slot_id,
        event.action,
        event.from_status,
        event.to_status,
        event.actor_role,
        event.candidate_telegram_id,
        event.related_slot_id,
    )


async def test_every_transition_records_one_event(db: FakeDatabase) -> None:
    anna = data.recruiter(db)
    first, second = data.slot(db, anna, hour=0), data.slot(db, anna, hour=2)
    uows = db.uow_factory
    started = datetime.now(UTC)

    value_of(await booking.book(uows, booking.BookSlot(first.id, HOLDER, "Olga", actor=BOT)))
    value_of(await booking.approve(uows, booking.ApproveSlot(first.id, actor=ADMIN)))
    value_of(await booking.confirm(uows, booking.ConfirmSlot(first.id, HOLDER, actor=BOT)))
    move = booking.Reschedule(first.id, HOLDER, second.id, actor=BOT)
    value_of(await booking.reschedule(uows, move))
    value_of(await booking.release(uows, booking.ReleaseSlot(second.id, HOLDER, actor=ADMIN)))
    value_of(await booking.book(uows, booking.BookSlot(second.id, OTHER, "Ivan", actor=BOT)))
    value_of(await booking.cancel(uows, booking.CancelSlot(second.id, actor=ADMIN)))
    value_of(await booking.cancel(uows, booking.CancelSlot(first.id, actor=ADMIN)))

    events = db.events()
    assert [summary(e) for e in events] == [
        (first.id, "book", F, P, ActorRole.BOT, HOLDER, None),
        (first.id, "approve", P, B, ActorRole.ADMIN, HOLDER, None),
        (first.id, "confirm", B, C, ActorRole.BOT, HOLDER, None),
        (first.id, "reschedule", C, F, ActorRole.BOT, HOLDER, second.id),
        (second.id, "reschedule", F, P, ActorRole.BOT, HOLDER, first.id),
        (second.id, "release", P, F, ActorRole.ADMIN, HOLDER, None),
        (second.id, "book", F, P, ActorRole.BOT, OTHER, None),
        (second.id, "cancel", P, X, ActorRole.ADMIN, OTHER, None),
        (first.id, "cancel", F, X, ActorRole.ADMIN, None, None),  # nobody held it
    ]
    assert all(started <= e.at <= datetime.now(UTC) for e in events)
    assert db.commits == 8  # each event in its transition's own commit


async def test_a_refused_transition_records_nothing(db: FakeDatabase) -> None:
    free = data.slot(db, data.recruiter(db))
    held = data.slot(db, data.recruiter(db, name="Boris"), status=SlotStatus.BOOKED)

    error_of(await booking.approve(db.uow_factory, booking.ApproveSlot(free.id, actor=ADMIN)))
    error_of(await booking.release(db.uow_factory, booking.ReleaseSlot(held.id, OTHER, actor=BOT)))
    move = booking.Reschedule(held.id, HOLDER, free.id, actor=BOT)
    db.commit_error = DatabaseError("commit", "the connection was lost")
    assert isinstance(error_of(await booking.reschedule(db.uow_factory, move)), DatabaseError)

    assert db.events() == []
    assert db.load(type(held), held.id).status == B
