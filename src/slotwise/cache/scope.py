"""What the cache needs from a unit of work, and where to find it from a session.

Repositories hand the decorators their session; the session's unit of work (registered under
``UOW_KEY`` in ``session.info``) decides when invalidation happens (after its commit) and
whether what it reads may be stored. The cache declares this Protocol so that it depends on no
particular unit of work; ``slotwise.persistence.uow.BaseUnitOfWork`` satisfies it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from slotwise.persistence.uow import UOW_KEY


class CacheScope(Protocol):
    """A transaction the cache cooperates with."""

    #: Free-form state; the cache keeps the targets the transaction wrote under ``"cache.dirty"``.
    info: dict[str, Any]

    def after_commit(self, action: Callable[[], Awaitable[Any]]) -> None:
        """Run ``action`` once the transaction has committed (dropped on rollback)."""

    def snapshot_is_fresh(self) -> bool:
        """May what the transaction reads now be stored under a cache token taken now?"""


def scope_of(session: AsyncSession) -> CacheScope | None:
    """The unit of work that owns ``session``, if any."""
    scope: CacheScope | None = session.info.get(UOW_KEY)
    return scope
