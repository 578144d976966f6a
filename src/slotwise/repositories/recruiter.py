"""Recruiters, always returned with their cities loaded (the API shows ``city_ids``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from slotwise.cache.decorators import cached, invalidate_cache, schedule_invalidation
from slotwise.cache.keys import CacheTTL
from slotwise.domain.models import ACTIVE_STATUSES, City, Recruiter, Slot
from slotwise.persistence.orm import recruiter_cities
from slotwise.persistence.repository.base import Page
from slotwise.repositories.cache_keys import CacheKeys
from slotwise.repositories.locking import LockingReads
from slotwise.repositories.optimized_queries import OptimizedQueries
from slotwise.repositories.refresh import refresh_after_commit
from slotwise.result import Error, Result, Success


class RecruiterRepository(LockingReads[Recruiter]):
    # As OptimizedQueries.recruiters_with_cities(): cities in one SELECT IN per page.
    load_options = OptimizedQueries.recruiter_load_options()

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(Recruiter, session)

    # Reads below are cached; writes invalidate what they change after commit.
    @cached(key_builder=lambda self, id: CacheKeys.recruiter(id), ttl=CacheTTL.LONG)
    async def get(self, id: int) -> Result[Recruiter, Error]:
        return await super().get(id)

    @invalidate_cache("recruiters:*", "recruiter:{arg1}")
    async def add(self, entity: Recruiter) -> Result[Recruiter, Error]:
        return await super().add(entity)

    # Slots embed their recruiter: exactly those that embed this one go (their dep key),
    # with this recruiter's free-slot lists and the slot lists that can show its slots.
    async def update(self, entity: Recruiter) -> Result[Recruiter, Error]:
        saved = await super().update(entity)
        if isinstance(saved, Success):
            await schedule_invalidation(self.session, CacheKeys.recruiter_changed(saved.value.id))
            await refresh_after_commit(self.session, type(self), saved.value.id)
        return saved

    # The delete cascades to slots and clears cities' responsible_recruiter_id.
    @invalidate_cache("recruiters:*", "recruiter:{arg1}", "slot:*", "slots:*", "city:*", "cities:*")
    async def delete(self, id: int) -> Result[bool, Error]:
        return await super().delete(id)

    @cached(key_builder=lambda self: CacheKeys.recruiters_active(), ttl=CacheTTL.MEDIUM)
    async def get_active(self) -> Result[Sequence[Recruiter], Error]:
        stmt = self._select().where(Recruiter.active.is_(True)).order_by(Recruiter.id)
        return await self._scalars("get_active", stmt)

    @cached(
        key_builder=lambda self, city_id: CacheKeys.recruiters_for_city(city_id),
        ttl=CacheTTL.MEDIUM,
    )
    async def get_for_city(self, city_id: int) -> Result[Sequence[Recruiter], Error]:
        """Active recruiters who work in the city."""
        stmt = (
            self._select()
            .join(recruiter_cities, recruiter_cities.c.recruiter_id == Recruiter.id)
            .where(recruiter_cities.c.city_id == city_id, Recruiter.active.is_(True))
            .order_by(Recruiter.id)
        )
        return await self._scalars("get_for_city", stmt)

    async def get_by_telegram_chat_id(self, chat_id: int) -> Result[Recruiter, Error]:
        stmt = self._select().where(Recruiter.telegram_chat_id == chat_id)
        return await self._one("get_by_telegram_chat_id", stmt, chat_id)

    @cached(
        key_builder=lambda self, active=None, city_id=None, limit=100, offset=0: (
            CacheKeys.recruiters_list(active, city_id, limit, offset)
        ),
        ttl=CacheTTL.MEDIUM,
    )
    async def list(
        self,
        active: bool | None = None,
        city_id: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Result[Page[Recruiter], Error]:
        stmt = self._select()
        if active is not None:
            stmt = stmt.where(Recruiter.active.is_(active))
        if city_id is not None:
            stmt = stmt.where(
                exists().where(
                    recruiter_cities.c.recruiter_id == Recruiter.id,
                    recruiter_cities.c.city_id == city_id,
                )
            )
        return await self._page("list", stmt.order_by(Recruiter.id), limit, offset)

    async def has_active_bookings(self, recruiter_id: int) -> Result[bool, Error]:
        stmt = select(
            exists().where(
                Slot.recruiter_id == recruiter_id,
                Slot.status.in_([s.value for s in ACTIVE_STATUSES]),
            )
        )

        async def work() -> bool:
            return bool(await self.session.scalar(stmt))

        return await self._run("has_active_bookings", work)

    async def load_cities(self, city_ids: Sequence[int]) -> Result[Sequence[City], Error]:
        """The cities with these ids (to assign ``Recruiter.cities``), in one query."""

        async def work() -> Sequence[City]:
            if not city_ids:
                return []
            return (await self.session.scalars(select(City).where(City.id.in_(city_ids)))).all()

        return await self._run("load_cities", work)
