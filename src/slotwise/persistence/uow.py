"""``BaseUnitOfWork``: one session, one transaction, and what must happen after it commits.

    async with UnitOfWork() as uow:          # slotwise.repositories.UnitOfWork
        result = await uow.recruiters.get_active()
        ...
        await uow.commit()

Leaving the block without ``commit()`` rolls back. Before-commit actions run right before
COMMIT (the cache marks write intents there); after-commit actions (cache invalidation is the
main one) run only once the database has the data, so no reader can refill a cache with a
row that is about to change, and run to their end even if the caller is cancelled; on
rollback both are dropped. An action registered ``also_if_unsure`` also runs when COMMIT
raised or was cancelled: the transaction may have committed all the same.

This class owns the transaction only; which repositories share its session is the business of
a subclass (``slotwise.repositories.UnitOfWork``), so this module imports no repository.

A write unit of work (not ``read_only``) on PostgreSQL starts its transaction with
``SET LOCAL lock_timeout`` (``SLOTWISE_LOCK_TIMEOUT_MS``, 2 s by default): a row lock held by
another request longer than that ends the wait with SQLSTATE 55P03, a ConflictError ("retry"),
instead of a request that hangs until the driver's command timeout.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from slotwise.persistence import db
from slotwise.persistence.repository.errors import DB_EXCEPTIONS, classify
from slotwise.result import Error, Failure, Result, Success
from slotwise.settings import get_settings

log = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[Any]]

#: After-commit runs in flight (kept referenced until done: a shielded task must not be
#: garbage-collected when its caller is cancelled).
_RUNS: set[asyncio.Task[None]] = set()


async def _run_actions(actions: list[AfterCommit]) -> None:
    for action in actions:
        try:
            await action()
        except Exception:
            log.warning("after-commit action failed", exc_info=True)


async def _run_shielded(actions: list[AfterCommit]) -> None:
    """Run ``actions`` in a task of their own that a cancellation of the caller cannot stop."""
    if not actions:
        return
    task = asyncio.get_running_loop().create_task(_run_actions(actions))
    _RUNS.add(task)
    task.add_done_callback(_RUNS.discard)
    await asyncio.shield(task)


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
        self._before_commit: list[AfterCommit] = []
        self._after_commit: list[tuple[AfterCommit, bool]] = []
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
        self._before_commit.clear()
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

    def sibling(self) -> BaseUnitOfWork:
        """A read-only unit of work of its own on the same database (its own session and
        transaction), for work that outlives this one (a write's cache refresh)."""
        return BaseUnitOfWork(self._session_factory, read_only=True)

    def before_commit(self, action: AfterCommit) -> None:
        """Await ``action`` right before the COMMIT of the current transaction (dropped on
        rollback; its failures are logged, the commit goes on)."""
        self._before_commit.append(action)

    def after_commit(self, action: AfterCommit, *, also_if_unsure: bool = False) -> None:
        """Run ``action`` once the current transaction has committed (dropped on rollback);
        ``also_if_unsure``: also when COMMIT raised or was cancelled (it may have committed)."""
        self._after_commit.append((action, also_if_unsure))

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
        """Run the before-commit actions, commit, then run the after-commit actions (their
        failures are logged, not raised: the data is already durable). When COMMIT raises
        (or is cancelled) its outcome is unknown: the ``also_if_unsure`` actions run, then
        the exception goes on."""
        before, self._before_commit = self._before_commit, []
        await _run_actions(before)
        try:
            await self.session.commit()
        except BaseException:
            unsure = [action for action, also in self._after_commit if also]
            self._after_commit = []
            self.info.clear()
            await _run_shielded(unsure)
            raise
        actions = [action for action, _ in self._after_commit]
        self._after_commit = []
        self.info.clear()
        await _run_shielded(actions)

    async def try_commit(self) -> Result[None, Error]:
        """``commit()`` as a Result: a failed commit (lost connection, a deferred constraint)
        becomes a Failure and nothing after-commit runs."""
        try:
            await self.commit()
        except DB_EXCEPTIONS as exc:
            self._before_commit.clear()
            self._after_commit.clear()
            try:
                await self.session.rollback()
            except DB_EXCEPTIONS:
                log.debug("rollback after failed commit failed", exc_info=True)
            return Failure(classify("transaction", "commit", exc))
        return Success(None)

    async def rollback(self) -> None:
        self._before_commit.clear()
        self._after_commit.clear()
        self.info.clear()
        await self.session.rollback()

    async def flush(self) -> None:
        await self.session.flush()


def current_uow(session: AsyncSession) -> BaseUnitOfWork | None:
    """The unit of work that owns ``session``, if any."""
    uow = session.info.get(UOW_KEY)
    return uow if isinstance(uow, BaseUnitOfWork) else None


def lock_timeout_ms(connection: Connection) -> int:
    """The engine's lock timeout (set by ``db.build_engine``), else the settings' one."""
    configured = connection.get_execution_options().get(db.LOCK_TIMEOUT_MS)
    return int(configured if configured is not None else get_settings().slotwise_lock_timeout_ms)


@event.listens_for(Session, "after_begin")
def _bound_lock_waits(
    session: Session, transaction: SessionTransaction, connection: Connection
) -> None:
    """The first statement of a write unit of work's transaction on PostgreSQL: its lock
    waits end after ``lock_timeout`` (SQLite serialises writers at BEGIN IMMEDIATE instead,
    bounded by its busy timeout). Sessions outside a unit of work and readers are left alone."""
    uow = session.info.get(UOW_KEY)
    if not isinstance(uow, BaseUnitOfWork) or uow.read_only:
        return
    if connection.dialect.name != "postgresql":
        return
    connection.exec_driver_sql(f"SET LOCAL lock_timeout = {lock_timeout_ms(connection)}")
