"""Cities: the reference data candidates pick first."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from slotwise.core.repository.base import BaseRepository, Page
from slotwise.core.result import Error, Result
from slotwise.domain.models import City


class CityRepository(BaseRepository[City]):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(City, session)

    async def get_active(self) -> Result[Sequence[City], Error]:
        stmt = self._select().where(City.active.is_(True)).order_by(City.name, City.id)
        return await self._scalars("get_active", stmt)

    async def get_by_name(self, name: str) -> Result[City, Error]:
        return await self._one("get_by_name", self._select().where(City.name == name), name)

    async def list(
        self, active: bool | None = None, limit: int = 100, offset: int = 0
    ) -> Result[Page[City], Error]:
        """A page of cities ordered by name, and the total that match."""
        stmt = self._select()
        if active is not None:
            stmt = stmt.where(City.active.is_(active))
        return await self._page("list", stmt.order_by(City.name, City.id), limit, offset)
