"""``UnitOfWork``: one session, one transaction, and what must happen after it commits.

    async with UnitOfWork() as uow:
        result = await uow.recruiters.get_active()
        ...
        await uow.commit()

Leaving the block without ``commit()`` rolls back. Before-commit actions run right before
COMMIT (the cache marks write intents there); after-commit actions (cache invalidation is the
main one) run only once the database has the data, so no reader can refill a cache with a
row that is about to change, and run to their end even if the caller is cancelled; on
rollback both are dropped. An action registered ``also_if_unsure`` also runs when COMMIT
raised or was cancelled: the transaction may have committed all the same.

The repositories are imported here (the spec puts UnitOfWork in ``core``); they depend only on
``core.repository`` and ``core.result``, so there is no import cycle.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from slotwise.cache.scope import SCOPE_KEY
from slotwise.persistence import db
from slotwise.persistence.repository.errors import DB_EXCEPTIONS, classify
from slotwise.repositories import (
    CityRepository,
    RecruiterRepository,
    SlotRepository,
    TemplateRepository,
    UserRepository,
)
from slotwise.result import Error, Failure, Result, Success

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


#: ``session.info`` key under which a session's unit of work can be found: the cache's
#: (its decorators defer invalidation to after commit through it).
UOW_KEY = SCOPE_KEY


class UnitOfWork:
    recruiters: RecruiterRepository
    cities: CityRepository
    slots: SlotRepository
    templates: TemplateRepository
    users: UserRepository
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
        self.recruiters = RecruiterRepository(self.session)
        self.cities = CityRepository(self.session)
        self.slots = SlotRepository(self.session)
        self.templates = TemplateRepository(self.session)
        self.users = UserRepository(self.session)
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
        self.info.pop("cache.dirty", None)
        try:
            await self.session.close()
        except DB_EXCEPTIONS:  # the connection may already be gone; it is discarded
            log.debug("closing the session failed", exc_info=True)

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
            self.info.pop("cache.dirty", None)
            await _run_shielded(unsure)
            raise
        actions = [action for action, _ in self._after_commit]
        self._after_commit = []
        self.info.pop("cache.dirty", None)
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
        self.info.pop("cache.dirty", None)
        await self.session.rollback()

    async def flush(self) -> None:
        await self.session.flush()

    def snapshot_is_fresh(self) -> bool:
        """May what this session reads now be stored under a cache token taken now?

        Yes outside a transaction, on PostgreSQL (READ COMMITTED: a new snapshot per
        statement), and in a SQLite write transaction (BEGIN IMMEDIATE holds the write lock,
        so nothing can commit after its snapshot). A SQLite read transaction (BEGIN DEFERRED)
        keeps the snapshot of its first read, which may predate the token.
        """
        session = self.session
        if not session.in_transaction():
            return True
        bind = session.sync_session.get_bind()
        if bind.dialect.name != "sqlite":
            return True
        options = bind.get_execution_options() if isinstance(bind, Engine) else {}
        return bool(options.get(db.SQLITE_BEGIN, "IMMEDIATE") == "IMMEDIATE")


def current_uow(session: AsyncSession) -> UnitOfWork | None:
    """The unit of work that owns ``session``, if any."""
    uow = session.info.get(UOW_KEY)
    return uow if isinstance(uow, UnitOfWork) else None
