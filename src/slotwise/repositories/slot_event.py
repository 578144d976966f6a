"""The audit trail of booking transitions: append-only, so this repository adds and lists,
nothing else (no update, no delete). Not cached: only admins read it, and rarely."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from slotwise.domain.audit import SlotEvent
from slotwise.persistence.repository.base import BaseRepository, Page
from slotwise.result import Error, Result, Success


class _Rows(BaseRepository[SlotEvent]):
    async def page_for_slot(
        self, slot_id: int, limit: int, offset: int
    ) -> Result[Page[SlotEvent], Error]:
        stmt = self._select().where(SlotEvent.slot_id == slot_id).order_by(SlotEvent.id)
        return await self._page("list_for_slot", stmt, limit, offset)


class SlotEventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._rows = _Rows(SlotEvent, session)

    async def add(self, entity: SlotEvent) -> Result[SlotEvent, Error]:
        """Record ``entity`` in the current transaction. It is written with the commit (one
        INSERT for all of a use case's events, no SAVEPOINT: nothing in it can conflict), so
        a rollback leaves no trace of it."""
        self.session.add(entity)
        return Success(entity)

    async def list_for_slot(
        self, slot_id: int, limit: int = 100, offset: int = 0
    ) -> Result[Page[SlotEvent], Error]:
        """A page of the slot's events, oldest first."""
        return await self._rows.page_for_slot(slot_id, limit, offset)
