"""Candidates (users), found by the Telegram id the bot knows them by."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from slotwise.core.repository.base import BaseRepository
from slotwise.core.result import Error, Result
from slotwise.domain.models import User


class UserRepository(BaseRepository[User]):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(User, session)

    async def get_by_telegram_id(self, telegram_id: int) -> Result[User, Error]:
        stmt = self._select().where(User.telegram_id == telegram_id)
        return await self._one("get_by_telegram_id", stmt, telegram_id)
