"""``refresh_after_commit``: a repository write re-reads the entity it changed, through the
cache, once its unit of work has committed and invalidated (``slotwise.cache.refresh``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from slotwise.cache.decorators import schedule_refresh
from slotwise.persistence.uow import UOW_KEY, BaseUnitOfWork


class Gets(Protocol):
    """A repository whose ``get`` reads through the cache."""

    async def get(self, id: int, /) -> object: ...


async def refresh_after_commit(
    session: AsyncSession, repository: Callable[[AsyncSession], Gets], entity_id: int
) -> None:
    """After the commit of ``session``'s unit of work, ``repository(...).get(entity_id)`` in a
    read-only unit of work of its own. Outside a unit of work nothing is refreshed: there is
    no commit to wait for, and the caller's session is still in use."""
    uow = session.info.get(UOW_KEY)
    if not isinstance(uow, BaseUnitOfWork):
        return

    async def run() -> None:
        async with uow.sibling() as reader:
            await repository(reader.session).get(entity_id)

    await schedule_refresh(session, run)
