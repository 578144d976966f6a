"""What the cache needs from a unit of work, and where to find it from a session.

Repositories hand the decorators their session; the session's unit of work (registered under
``UOW_KEY`` in ``session.info``) decides when invalidation happens (write intents right
before its COMMIT, fresh versions right after it, even when COMMIT raised: it may have
committed) and whether what it reads may be stored. The cache declares this Protocol so
that it depends on no particular unit of work; ``persistence.uow.BaseUnitOfWork`` satisfies it.
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

    def before_commit(self, action: Callable[[], Awaitable[Any]]) -> None:
        """Await ``action`` right before COMMIT (dropped on rollback)."""

    def after_commit(
        self, action: Callable[[], Awaitable[Any]], *, also_if_unsure: bool = False
    ) -> None:
        """Run ``action`` once the transaction has committed (dropped on rollback); with
        ``also_if_unsure`` also when COMMIT raised or was cancelled (its outcome unknown).
        Runs to its end even if the committing task is cancelled."""

    def snapshot_is_fresh(self) -> bool:
        """May what the transaction reads now be stored under a cache token taken now?"""


def scope_of(session: AsyncSession) -> CacheScope | None:
    """The unit of work that owns ``session``, if any."""
    scope: CacheScope | None = session.info.get(UOW_KEY)
    return scope
