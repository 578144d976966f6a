"""``BaseUnitOfWork``: one session, one transaction, and what must happen after it commits.

    async with UnitOfWork() as uow:          # slotwise.repositories.UnitOfWork
        result = await uow.recruiters.get_active()
        ...
        await uow.commit()

Leaving the block without ``commit()`` rolls back. After-commit actions (cache invalidation is
the main one) run only once the database has the data, so no reader can refill a cache with a
row that is about to change; on rollback they are dropped.

This class owns the transaction only; which repositories share its session is the business of
a subclass (``slotwise.repositories.UnitOfWork``), so this module imports no repository.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from slotwise.persistence import db
from slotwise.persistence.repository.errors import DB_EXCEPTIONS, classify
from slotwise.result import Error, Failure, Result, Success

log = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[Any]]

#: ``session.info`` key under which a session's unit of work can be found (the cache's
#: decorators reach it there to defer invalidation to after commit).
UOW_KEY = "slotwise.uow"


class BaseUnitOfWork:
    session: AsyncSession

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession] | None = None,
        *,
        read_only: bool = False,
    ) -> None:
        self._session_factory = session_factory
        self.read_only = read_only
        self._after_commit: list[AfterCommit] = []
        #: Free-form state for collaborators (the cache keeps the namespaces it must skip).
        #: It describes the current transaction: commit, rollback and leaving the block clear it.
        self.info: dict[str, Any] = {}

    async def __aenter__(self) -> Self:
        factory = self._session_factory or db.get_session_factory()
        if self.read_only and factory.kw.get("bind") is not None:
            bind = factory.kw["bind"]
            if bind.dialect.name == "sqlite":
                # Readers need no write lock: a deferred BEGIN lets them run beside a writer.
                self.session = factory(bind=bind.execution_options(**{db.SQLITE_BEGIN: "DEFERRED"}))
            else:
                self.session = factory()
        else:
            self.session = factory()
        self.session.info[UOW_KEY] = self
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Leaving without commit rolls back: close() ends the database transaction with a
        # ROLLBACK but, unlike rollback(), does not expire what was read, so entities read in
        # the block stay usable after it (``async with ...: r = await uow.x.get(1)``, then r).
        self._after_commit.clear()
        self.info.clear()
        try:
            await self.session.close()
        except DB_EXCEPTIONS:  # the connection may already be gone; it is discarded
            log.debug("closing the session failed", exc_info=True)
        finally:
            # The session points back at its unit of work: without this the pair is a
            # reference cycle per request, left for the collector's full passes.
            self.session.info.pop(UOW_KEY, None)

    def after_commit(self, action: AfterCommit) -> None:
        """Run ``action`` once the current transaction has committed (dropped on rollback)."""
        self._after_commit.append(action)

    @property
    def pending_after_commit(self) -> int:
        return len(self._after_commit)

    def snapshot_is_fresh(self) -> bool:
        """May what this session reads now be stored under a cache token taken now?

        Yes outside a transaction, on PostgreSQL (READ COMMITTED: a new snapshot per
        statement), and in a SQLite write transaction (BEGIN IMMEDIATE holds the write lock, so
        nothing can commit after its snapshot). A SQLite read transaction (BEGIN DEFERRED)
        keeps the snapshot of its first read, which may predate the token: only its first read
        may fill the cache.
        """
        if not self.session.in_transaction():
            return True
        bind = self.session.sync_session.get_bind()
        if bind.dialect.name != "sqlite":
            return True
        options = bind.get_execution_options() if isinstance(bind, Engine) else {}
        return bool(options.get(db.SQLITE_BEGIN, "IMMEDIATE") == "IMMEDIATE")

    async def commit(self) -> None:
        """Commit, then run the after-commit actions (their failures are logged, not raised:
        the data is already durable)."""
        await self.session.commit()
        actions, self._after_commit = self._after_commit, []
        self.info.clear()
        for action in actions:
            try:
                await action()
            except Exception:
                log.warning("after-commit action failed", exc_info=True)

    async def try_commit(self) -> Result[None, Error]:
        """``commit()`` as a Result: a failed commit (lost connection, a deferred constraint)
        becomes a Failure and nothing after-commit runs."""
        try:
            await self.commit()
        except DB_EXCEPTIONS as exc:
            self._after_commit.clear()
            try:
                await self.session.rollback()
            except DB_EXCEPTIONS:
                log.debug("rollback after failed commit failed", exc_info=True)
            return Failure(classify("transaction", "commit", exc))
        return Success(None)

    async def rollback(self) -> None:
        self._after_commit.clear()
        self.info.clear()
        await self.session.rollback()

    async def flush(self) -> None:
        await self.session.flush()


def current_uow(session: AsyncSession) -> BaseUnitOfWork | None:
    """The unit of work that owns ``session``, if any."""
    uow = session.info.get(UOW_KEY)
    return uow if isinstance(uow, BaseUnitOfWork) else None
