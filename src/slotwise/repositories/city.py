"""Cities: the reference data candidates pick first."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from slotwise.cache.decorators import cached, invalidate_cache
from slotwise.cache.keys import CacheTTL
from slotwise.domain.models import City
from slotwise.persistence.repository.base import Page
from slotwise.repositories.cache_keys import CacheKeys
from slotwise.repositories.locking import LockingReads
from slotwise.result import Error, Result


class CityRepository(LockingReads[City]):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(City, session)

    # Reads below are cached; writes invalidate what they change after commit.
    @cached(key_builder=lambda self, id: CacheKeys.city(id), ttl=CacheTTL.LONG)
    async def get(self, id: int) -> Result[City, Error]:
        return await super().get(id)

    @invalidate_cache("cities:*", "city:{arg1}")
    async def add(self, entity: City) -> Result[City, Error]:
        return await super().add(entity)

    # Recruiters embed their cities and slots their city, so they go too.
    @invalidate_cache(
        "cities:*", "city:{arg1.id}", "recruiter:*", "recruiters:*", "slot:*", "slots:*"
    )
    async def update(self, entity: City) -> Result[City, Error]:
        return await super().update(entity)

    # The delete also cascades to the city's templates and clears users' city_id.
    @invalidate_cache(
        "cities:*",
        "city:{arg1}",
        "recruiter:*",
        "recruiters:*",
        "slot:*",
        "slots:*",
        "templates:*",
        "user:*",
    )
    async def delete(self, id: int) -> Result[bool, Error]:
        return await super().delete(id)

    @cached(key_builder=lambda self: CacheKeys.cities_active(), ttl=CacheTTL.LONG)
    async def get_active(self) -> Result[Sequence[City], Error]:
        stmt = self._select().where(City.active.is_(True)).order_by(City.name, City.id)
        return await self._scalars("get_active", stmt)

    async def get_by_name(self, name: str) -> Result[City, Error]:
        return await self._one("get_by_name", self._select().where(City.name == name), name)

    @cached(
        key_builder=lambda self, active=None, limit=100, offset=0: CacheKeys.cities_list(
            active, limit, offset
        ),
        ttl=CacheTTL.LONG,
    )
    async def list(
        self, active: bool | None = None, limit: int = 100, offset: int = 0
    ) -> Result[Page[City], Error]:
        """A page of cities ordered by name, and the total that match."""
        stmt = self._select()
        if active is not None:
            stmt = stmt.where(City.active.is_(active))
        return await self._page("list", stmt.order_by(City.name, City.id), limit, offset)
