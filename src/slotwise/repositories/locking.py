"""``get_for_update`` for the repositories whose rows a use case changes after a check.

A write use case that decides on a row (an ``If-Match`` precondition, a recruiter delete) reads
it row-locked and from the database, never from the cache: nothing can change it between the
check and the write, and a lock holder makes no Redis round trip.
"""

from __future__ import annotations

from typing import TypeVar

from slotwise.persistence.orm import Base
from slotwise.persistence.repository.base import BaseRepository
from slotwise.result import Error, Result

T = TypeVar("T", bound=Base)


class LockingReads(BaseRepository[T]):
    async def get_for_update(self, id: int) -> Result[T, Error]:
        """The row, locked until the transaction ends (PostgreSQL ``FOR UPDATE``; SQLite's
        writers are serialised by BEGIN IMMEDIATE), its fields refreshed from the database."""
        stmt = (
            self._select()
            .where(self._pk_clause(id))
            .with_for_update(of=self.model)
            .execution_options(populate_existing=True)
        )
        return await self._one("get_for_update", stmt, id)
