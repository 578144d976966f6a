"""``BaseRepository[T]``: the generic CRUD every repository starts from.

Data errors come back as ``Failure`` values, never as exceptions. ``add`` and ``update`` flush
inside a SAVEPOINT: ids exist after the call, a constraint violation is reported at the call
that caused it, and the surrounding unit of work stays usable after a conflict.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.interfaces import LoaderOption

from slotwise.persistence.orm import Base
from slotwise.persistence.repository.changes import Changes, discard_changes
from slotwise.persistence.repository.errors import DB_EXCEPTIONS, classify
from slotwise.result import (
    Error,
    Failure,
    NotFoundError,
    Result,
    Success,
    ValidationError,
)

T = TypeVar("T", bound=Base)
R = TypeVar("R")

MAX_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Page(Generic[R]):
    """One page of a list and the number of rows that match in all."""

    items: Sequence[R]
    total: int
    limit: int
    offset: int


def check_page(limit: int, offset: int) -> Failure[Error] | None:
    if not 1 <= limit <= MAX_LIMIT:
        return Failure(ValidationError("limit", f"must be between 1 and {MAX_LIMIT}", limit))
    if offset < 0:
        return Failure(ValidationError("offset", "must be >= 0", offset))
    return None


class BaseRepository(Generic[T]):
    """CRUD for one mapped class on one session (the unit of work's)."""

    #: Loader options applied to every read that returns entities (e.g. selectinload of the
    #: relations the read paths promise); subclasses set them.
    load_options: tuple[LoaderOption, ...] = ()

    def __init__(self, model: type[T], session: AsyncSession) -> None:
        self.model = model
        self.session = session

    @property
    def entity_type(self) -> str:
        return self.model.__name__

    # --- helpers for subclasses --------------------------------------------------------

    async def _run(self, operation: str, work: Callable[[], Awaitable[R]]) -> Result[R, Error]:
        """Run ``work``; database exceptions become Failure values."""
        try:
            return Success(await work())
        except DB_EXCEPTIONS as exc:
            return Failure(classify(self.entity_type, operation, exc))

    def _select(self) -> Select[tuple[T]]:
        return select(self.model).options(*self.load_options)

    async def _scalars(self, operation: str, stmt: Select[Any]) -> Result[Sequence[T], Error]:
        async def work() -> Sequence[T]:
            return (await self.session.scalars(stmt)).unique().all()

        return await self._run(operation, work)

    async def _one_or_none(self, operation: str, stmt: Select[Any]) -> Result[T | None, Error]:
        async def work() -> T | None:
            return (await self.session.scalars(stmt)).unique().one_or_none()

        return await self._run(operation, work)

    async def _one(self, operation: str, stmt: Select[Any], ident: object) -> Result[T, Error]:
        found = await self._one_or_none(operation, stmt)
        if isinstance(found, Failure):
            return found
        if found.value is None:
            return Failure(NotFoundError(self.entity_type, ident))
        return Success(found.value)

    async def _page(
        self, operation: str, stmt: Select[Any], limit: int, offset: int
    ) -> Result[Page[T], Error]:
        """``stmt`` (ordered) cut to one page, with the total count of its rows."""
        if (invalid := check_page(limit, offset)) is not None:
            return invalid
        count_stmt = select(func.count()).select_from(stmt.order_by(None).subquery())

        async def work() -> Page[T]:
            total = int(await self.session.scalar(count_stmt) or 0)
            items: Sequence[T] = []
            if total > offset:
                page = stmt.limit(limit).offset(offset)
                items = (await self.session.scalars(page)).unique().all()
            return Page(items, total, limit, offset)

        return await self._run(operation, work)

    def _pk_clause(self, id: int) -> ColumnElement[bool]:
        return self.model.id == id  # type: ignore[attr-defined, no-any-return]

    @staticmethod
    def _validate(entity: object) -> Failure[Error] | None:
        problems = getattr(entity, "problems", None)
        if problems is None:
            return None
        found = problems()
        if found:
            first = found[0]
            return Failure(ValidationError(first.field, first.message, first.value))
        return None

    async def _flush_savepoint(self, operation: str, entity: T) -> Result[T, Error]:
        """Flush ``entity`` inside a SAVEPOINT, so that its failure leaves the transaction usable.

        ``begin_nested()`` flushes whatever is dirty first, outside the savepoint: the entity's
        own changes are taken out for that moment and put back inside. On failure the entity
        gets its row's values back (the savepoint's rollback expired them).
        """
        changes = Changes.of(entity)

        async def work() -> T:
            changes.take_out()
            try:
                async with self.session.begin_nested():
                    changes.put_back()
                    self.session.add(entity)
                    await self.session.flush()
            except BaseException:
                changes.reset()
                raise
            return entity

        return await self._run(operation, work)

    # --- the generic API ---------------------------------------------------------------

    async def get(self, id: int) -> Result[T, Error]:
        return await self._one("get", self._select().where(self._pk_clause(id)), id)

    async def get_all(self, limit: int = 100, offset: int = 0) -> Result[Sequence[T], Error]:
        if (invalid := check_page(limit, offset)) is not None:
            return invalid
        stmt = self._select().order_by(self.model.id).limit(limit).offset(offset)  # type: ignore[attr-defined]
        return await self._scalars("get_all", stmt)

    async def add(self, entity: T) -> Result[T, Error]:
        if (invalid := self._validate(entity)) is not None:
            return invalid
        return await self._flush_savepoint("add", entity)

    async def add_many(self, entities: Sequence[T]) -> Result[Sequence[T], Error]:
        """Add ``entities`` with one flush in one SAVEPOINT: all or none. Every entity is
        validated first (the first problem found is the Failure), so a bulk load costs one
        round of INSERTs instead of a savepoint per row."""
        for entity in entities:
            if (invalid := self._validate(entity)) is not None:
                return invalid

        async def work() -> Sequence[T]:
            async with self.session.begin_nested():
                self.session.add_all(entities)
                await self.session.flush()
            return entities

        return await self._run("add_many", work)

    async def update(self, entity: T) -> Result[T, Error]:
        if (invalid := self._validate(entity)) is not None:
            if entity in self.session:
                discard_changes(entity)  # a later flush must not write what was rejected
            return invalid
        if entity not in self.session:
            # A detached entity (from the cache, or built by hand): bring its state into this
            # session. merge() reads the row, and refuses a stale version: both are Results.
            merged = await self._run("update", lambda: self.session.merge(entity))
            if isinstance(merged, Failure):
                return merged
            entity = merged.value
        return await self._flush_savepoint("update", entity)

    async def delete(self, id: int) -> Result[bool, Error]:
        async def work() -> bool:
            entity = await self.session.get(self.model, id)
            if entity is None:
                return False
            async with self.session.begin_nested():
                await self.session.delete(entity)
                await self.session.flush()
            return True

        result = await self._run("delete", work)
        if isinstance(result, Success) and not result.value:
            return Failure(NotFoundError(self.entity_type, id))
        return result

    async def exists(self, id: int) -> Result[bool, Error]:
        stmt = select(select(self.model).where(self._pk_clause(id)).exists())

        async def work() -> bool:
            return bool(await self.session.scalar(stmt))

        return await self._run("exists", work)

    async def count(self) -> Result[int, Error]:
        async def work() -> int:
            return int(await self.session.scalar(select(func.count()).select_from(self.model)) or 0)

        return await self._run("count", work)
