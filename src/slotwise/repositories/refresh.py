"""``refresh_after_commit``: a repository write re-reads the entity it changed, through the
cache, once its unit of work has committed and invalidated (``slotwise.cache.refresh``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from slotwise.cache.decorators import schedule_refresh
from slotwise.persistence.uow import UOW_KEY, BaseUnitOfWork

Reread = Callable[[AsyncSession], Awaitable[object]]


async def refresh_after_commit(session: AsyncSession, reread: Reread) -> None:
    """After the commit of ``session``'s unit of work, run ``reread`` (a cached read) in a
    read-only unit of work of its own. Outside a unit of work nothing is refreshed: there is
    no commit to wait for, and the caller's session is still in use."""
    uow = session.info.get(UOW_KEY)
    if not isinstance(uow, BaseUnitOfWork):
        return

    async def run() -> None:
        async with uow.sibling() as reader:
            await reread(reader.session)

    await schedule_refresh(session, run)
