"""Candidates (users), found by the Telegram id the bot knows them by."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from slotwise.cache.decorators import cached, invalidate_cache
from slotwise.cache.keys import CacheTTL
from slotwise.domain.models import User
from slotwise.persistence.repository.base import BaseRepository
from slotwise.repositories.cache_keys import CacheKeys
from slotwise.result import Error, Result


class UserRepository(BaseRepository[User]):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(User, session)

    # Reads below are cached; writes invalidate what they change after commit.
    @invalidate_cache("user:{arg1}", "user:telegram:{arg1.telegram_id}")
    async def add(self, entity: User) -> Result[User, Error]:
        return await super().add(entity)

    @invalidate_cache("user:{arg1.id}", "user:telegram:{arg1.telegram_id}")
    async def update(self, entity: User) -> Result[User, Error]:
        return await super().update(entity)

    @invalidate_cache("user:*")
    async def delete(self, id: int) -> Result[bool, Error]:
        return await super().delete(id)

    @cached(
        key_builder=lambda self, telegram_id: CacheKeys.user_by_telegram(telegram_id),
        ttl=CacheTTL.MEDIUM,
    )
    async def get_by_telegram_id(self, telegram_id: int) -> Result[User, Error]:
        return await self.load_by_telegram_id(telegram_id)

    async def load_by_telegram_id(self, telegram_id: int) -> Result[User, Error]:
        """``get_by_telegram_id`` from the database, never the cache: what a write transaction
        reads while it holds a row lock (no Redis round trip inside the lock)."""
        stmt = self._select().where(User.telegram_id == telegram_id)
        return await self._one("get_by_telegram_id", stmt, telegram_id)
