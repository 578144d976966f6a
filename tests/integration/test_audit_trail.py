"""The audit trail on the real unit of work: events are written with the transition's commit
and only then; a commit that fails leaves neither the change nor its event."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from slotwise.domain.audit import Actor, ActorRole
from slotwise.domain.models import SlotStatus
from slotwise.repositories import UnitOfWork
from slotwise.result import DatabaseError
from slotwise.services import booking, recruiters, slots
from tests.unit.outcomes import error_of, value_of

BOT = Actor(ActorRole.BOT)
T0 = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


class _LostAtCommit(UnitOfWork):
    """Everything is flushed, then the connection is 'lost' at COMMIT."""

    async def commit(self) -> None:
        await self.session.flush()
        raise OperationalError("COMMIT", None, ConnectionResetError("connection lost"))


async def test_events_are_written_with_the_commit_and_not_without_it(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    uows = lambda: UnitOfWork(session_factory)  # noqa: E731
    anna = value_of(await recruiters.create_recruiter(uows, recruiters.CreateRecruiter("Anna")))
    slot = value_of(await slots.create_slot(uows, slots.NewSlot(anna.id, T0)))
    book = booking.BookSlot(slot.id, 111, "Ada", actor=BOT)

    lost = await booking.book(lambda: _LostAtCommit(session_factory), book)

    assert isinstance(error_of(lost), DatabaseError)
    async with UnitOfWork(session_factory, read_only=True) as uow:
        assert value_of(await uow.slot_events.list_for_slot(slot.id)).total == 0
        assert value_of(await uow.slots.get_for_update(slot.id)).status is SlotStatus.FREE

    value_of(await booking.book(uows, book))

    async with UnitOfWork(session_factory, read_only=True) as uow:
        page = value_of(await uow.slot_events.list_for_slot(slot.id))
    assert page.total == 1
    event = page.items[0]
    assert (event.action, event.from_status, event.to_status) == ("book", "free", "pending")
    assert (event.actor_role, event.candidate_telegram_id) == (ActorRole.BOT, 111)
    assert event.at.tzinfo is not None and event.id > 0
