"""Query optimization (the user's document, section 3): eager loading by name, batch loading,
a per-request identity cache, and the pre-built statements the list endpoints use.

    stmt = QueryOptimizer.with_select_in_load(select(Slot), "recruiter", "city")
    stmt = QueryOptimizer.with_joined_load(select(Slot), "recruiter.cities")
    found = await BatchLoader(session).load_many(Slot, ids, relationships=["recruiter"])
    recruiter = await QueryCache().get_or_load(session, Recruiter, 5)
    stmt = OptimizedQueries.slots_with_relations()

These are session-level helpers: like ``session.execute`` they raise SQLAlchemy's exceptions;
the repositories that use them turn those into ``Failure`` values.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, cast, overload

from sqlalchemy import Select, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import (
    InstrumentedAttribute,
    QueryableAttribute,
    joinedload,
    selectinload,
)
from sqlalchemy.orm.interfaces import LoaderOption
from sqlalchemy.orm.strategy_options import _AbstractLoad
from sqlalchemy.orm.util import identity_key

from slotwise.domain.entity import Entity
from slotwise.queries.counter import BATCH_OPTION

T = TypeVar("T", bound=Entity)
S = TypeVar("S", bound=Select[Any])
Strategy = Literal["selectin", "joined", "auto"]
RelationshipPath = str | QueryableAttribute[Any]


# --- QueryOptimizer ---------------------------------------------------------------------------


class UnknownRelationshipError(ValueError):
    """A relationship name that the entity does not have (the message lists the valid ones)."""

    def __init__(self, entity: type, name: str, path: str, valid: Sequence[str]) -> None:
        choices = ", ".join(sorted(valid)) or "none"
        where = f" in {path!r}" if path != name else ""
        super().__init__(
            f"{entity.__name__} has no relationship {name!r}{where}; "
            f"valid relationships of {entity.__name__}: {choices}"
        )
        self.entity = entity
        self.name = name
        self.path = path
        self.valid = tuple(sorted(valid))


def _relationship_path(entity: type, path: RelationshipPath) -> list[QueryableAttribute[Any]]:
    """``"recruiter.cities"`` on Slot -> [Slot.recruiter, Recruiter.cities]."""
    if isinstance(path, QueryableAttribute):
        return [path]
    if not isinstance(path, str) or not path:
        raise TypeError(f"a relationship is a name or a mapped attribute, not {path!r}")
    attributes: list[QueryableAttribute[Any]] = []
    current = entity
    for name in path.split("."):
        relationships: Any = inspect(current).relationships
        if name not in relationships:
            raise UnknownRelationshipError(current, name, path, list(relationships.keys()))
        attributes.append(getattr(current, name))
        current = relationships[name].mapper.class_
    return attributes


def _is_collection(attribute: QueryableAttribute[Any]) -> bool:
    return bool(attribute.property.uselist)


def _loader(attributes: list[QueryableAttribute[Any]], strategy: Strategy) -> LoaderOption:
    """One chained loader option for a path; ``auto`` joins many-to-one and select-ins
    collections (a JOIN to a collection multiplies rows, a SELECT IN does not)."""
    option: _AbstractLoad | None = None
    for attribute in attributes:
        joined = strategy == "joined" or (strategy == "auto" and not _is_collection(attribute))
        if option is None:
            option = joinedload(attribute) if joined else selectinload(attribute)
        else:
            option = option.joinedload(attribute) if joined else option.selectinload(attribute)
    assert option is not None
    return option


class QueryOptimizer:
    """Eager loading by relationship name, the way the user's document calls it."""

    @staticmethod
    def statement_entity(stmt: Select[Any]) -> type:
        """The mapped class a ``select(Entity)`` statement returns."""
        descriptions = stmt.column_descriptions
        first = descriptions[0] if descriptions else {}
        entity: Any = first.get("entity")
        if isinstance(entity, type) and first.get("expr") is entity:
            return cast(type, entity)
        raise TypeError("eager loading needs a select() of a mapped class, e.g. select(Slot)")

    @staticmethod
    def loader_options(
        entity: type, paths: Iterable[RelationshipPath], strategy: Strategy = "auto"
    ) -> list[LoaderOption]:
        """Loader options for ``paths`` (names, dotted names or attributes) of ``entity``."""
        return [_loader(_relationship_path(entity, path), strategy) for path in paths]

    @classmethod
    def with_select_in_load(cls, stmt: S, *names: RelationshipPath) -> S:
        """``stmt`` with each named relationship loaded by a second ``SELECT ... IN``."""
        entity = cls.statement_entity(stmt)
        return stmt.options(*cls.loader_options(entity, names, "selectin"))

    @classmethod
    def with_joined_load(cls, stmt: S, *names: RelationshipPath) -> S:
        """``stmt`` with each named relationship loaded in the same statement (LEFT JOIN);
        read collections with ``.unique()``."""
        entity = cls.statement_entity(stmt)
        return stmt.options(*cls.loader_options(entity, names, "joined"))

    @classmethod
    def with_eager_load(cls, stmt: S, *names: RelationshipPath) -> S:
        """Joined for many-to-one, select-in for collections: the fewest statements and rows."""
        entity = cls.statement_entity(stmt)
        return stmt.options(*cls.loader_options(entity, names, "auto"))


# --- BatchLoader ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchResult(Sequence[T]):
    """What ``BatchLoader.load_many`` returns.

    It is a sequence of the entities found, in the order their ids were first asked for, each
    once (duplicate ids collapsed); ``missing`` lists the ids that matched no row (in the order
    asked, each once); ``by_id`` maps every found id to its entity.
    """

    items: tuple[T, ...]
    missing: tuple[Hashable, ...]
    by_id: Mapping[Hashable, T]

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...
    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def get(self, id: Hashable) -> T | None:
        return self.by_id.get(id)


_MISSING: Any = object()
MAX_CHUNK = 30_000  # asyncpg allows 32,767 parameters per statement


def _primary_key(model: type) -> InstrumentedAttribute[Any]:
    keys: Any = inspect(model).primary_key
    if len(keys) != 1:
        raise TypeError(f"{model.__name__} needs a single-column primary key to batch-load")
    attribute: InstrumentedAttribute[Any] = getattr(model, keys[0].key)
    return attribute


def _loaded(entity: object, path: RelationshipPath) -> bool:
    """Whether ``path`` (dotted) is already loaded on ``entity`` (so no query is needed)."""
    names = path.key.split(".") if isinstance(path, QueryableAttribute) else path.split(".")
    current: list[object] = [entity]
    for name in names:
        following: list[object] = []
        for obj in current:
            state: Any = inspect(obj)
            if name in state.unloaded:
                return False
            value = state.dict.get(name)
            if isinstance(value, list):
                following.extend(value)
            elif value is not None:
                following.append(value)
        current = following
    return True


@dataclass
class _Batch:
    """The ``load`` calls of one tick for one (model, relationships) pair."""

    futures: dict[Hashable, list[asyncio.Future[Any]]] = field(default_factory=dict)


class BatchLoader:
    """DataLoader for SQLAlchemy: ``load`` calls made in the same tick become one query,
    ``load_many`` is one query per chunk of ids, and every row is loaded once per loader.

    The memo holds found entities and misses (``clear`` forgets them, ``prime`` adds one);
    rows already in the session's identity map with the asked relationships are not fetched
    again. One loader belongs to one session and one task group (a request).
    """

    def __init__(self, session: AsyncSession, *, chunk_size: int = 1000) -> None:
        if not 1 <= chunk_size <= MAX_CHUNK:
            raise ValueError(f"chunk_size must be between 1 and {MAX_CHUNK}")
        self.session = session
        self.chunk_size = chunk_size
        self.round_trips = 0
        self._memo: dict[tuple[type, Hashable], Any] = {}
        self._batches: dict[tuple[type, tuple[RelationshipPath, ...]], _Batch] = {}
        self._lock = asyncio.Lock()

    # -- the DataLoader API --------------------------------------------------------------------

    async def load_many(
        self,
        model: type[T],
        ids: Iterable[Hashable],
        relationships: Sequence[RelationshipPath] = (),
    ) -> BatchResult[T]:
        """The entities with these ids (see ``BatchResult`` for the shape)."""
        wanted = list(dict.fromkeys(ids))
        rels = tuple(relationships)
        to_fetch = [i for i in wanted if self._known(model, i, rels) is _MISSING]
        if to_fetch:
            async with self._lock:
                await self._fetch(model, to_fetch, rels)
        by_id: dict[Hashable, T] = {}
        missing: list[Hashable] = []
        for i in wanted:
            entity = self._memo.get((model, i))
            if entity is None:
                missing.append(i)
            else:
                by_id[i] = entity
        return BatchResult(tuple(by_id.values()), tuple(missing), by_id)

    async def load(
        self, model: type[T], id: Hashable, relationships: Sequence[RelationshipPath] = ()
    ) -> T | None:
        """One entity or None; concurrent ``load`` calls (``asyncio.gather``) share a query."""
        rels = tuple(relationships)
        known = self._known(model, id, rels)
        if known is not _MISSING:
            return known  # type: ignore[no-any-return]
        key = (model, rels)
        batch = self._batches.get(key)
        if batch is None:
            batch = self._batches[key] = _Batch()
            asyncio.get_running_loop().create_task(self._dispatch(key))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        batch.futures.setdefault(id, []).append(future)
        return await future  # type: ignore[no-any-return]

    def prime(self, model: type[T], id: Hashable, entity: T | None) -> None:
        """Remember ``entity`` (or a known miss, None) without a query; existing entries win."""
        self._memo.setdefault((model, id), entity)

    def clear(self, model: type | None = None, id: Hashable | None = None) -> None:
        """Forget one id, every id of a model, or everything (after a write changes rows)."""
        if model is None:
            self._memo.clear()
        elif id is not None:
            self._memo.pop((model, id), None)
        else:
            for key in [k for k in self._memo if k[0] is model]:
                del self._memo[key]

    # -- internals -----------------------------------------------------------------------------

    def _known(self, model: type, id: Hashable, rels: tuple[RelationshipPath, ...]) -> Any:
        key = (model, id)
        if key in self._memo:
            entity = self._memo[key]
            if entity is None or all(_loaded(entity, r) for r in rels):
                return entity
            return _MISSING
        in_session = self.session.identity_map.get(identity_key(model, id))
        if (
            in_session is not None
            and not inspect(in_session).expired
            and all(_loaded(in_session, r) for r in rels)
        ):
            self._memo[key] = in_session
            return in_session
        return _MISSING

    async def _fetch(
        self, model: type, ids: list[Hashable], rels: tuple[RelationshipPath, ...]
    ) -> None:
        pk = _primary_key(model)
        options = QueryOptimizer.loader_options(model, rels, "auto")
        for start in range(0, len(ids), self.chunk_size):
            chunk = ids[start : start + self.chunk_size]
            stmt: Select[Any] = select(model).where(pk.in_(chunk)).options(*options)
            # Entities already in the session get the asked relationships loaded too.
            stmt = stmt.execution_options(populate_existing=bool(rels), **{BATCH_OPTION: True})
            rows = (await self.session.scalars(stmt)).unique().all()
            self.round_trips += 1
            found = {getattr(row, pk.key): row for row in rows}
            for i in chunk:
                self._memo[(model, i)] = found.get(i)

    async def _dispatch(self, key: tuple[type, tuple[RelationshipPath, ...]]) -> None:
        await asyncio.sleep(0)  # let the other loads of this tick join the batch
        batch = self._batches.pop(key)
        model, rels = key
        try:
            await self.load_many(model, batch.futures.keys(), rels)
        except BaseException as exc:
            for futures in batch.futures.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for id, futures in batch.futures.items():
            for future in futures:
                if not future.done():
                    future.set_result(self._memo.get((model, id)))


# --- QueryCache -------------------------------------------------------------------------------

_request_cache: ContextVar[QueryCache | None] = ContextVar("slotwise_query_cache", default=None)


class QueryCache:
    """An identity cache for the lifetime of one request: the same (model, id) is loaded at
    most once, even by concurrent tasks (they share the in-flight load). Misses are
    remembered too. It is a read cache: a write in the request should ``invalidate`` what it
    changed, and reads that decide a write use ``get_for_update`` instead.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[type, Hashable], Any] = {}
        self._inflight: dict[tuple[type, Hashable], asyncio.Future[Any]] = {}
        self.hits = 0
        self.loads = 0

    @staticmethod
    def current() -> QueryCache | None:
        """The current request's cache (set up by the query middleware), if any."""
        return _request_cache.get()

    async def get_or_load(
        self,
        session: AsyncSession,
        model: type[T],
        id: Hashable,
        relationships: Sequence[RelationshipPath] = (),
    ) -> T | None:
        key = (model, id)
        if key in self._entries:
            entity = self._entries[key]
            if entity is None or all(_loaded(entity, r) for r in relationships):
                self.hits += 1
                return entity  # type: ignore[no-any-return]
        if key in self._inflight:
            self.hits += 1
            return await asyncio.shield(self._inflight[key])
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            options = QueryOptimizer.loader_options(model, relationships, "auto")
            entity = await session.get(model, id, options=options)
            self.loads += 1
            self._entries[key] = entity
            future.set_result(entity)
            return entity
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        finally:
            del self._inflight[key]

    def put(self, model: type[T], id: Hashable, entity: T | None) -> None:
        self._entries[(model, id)] = entity

    def invalidate(self, model: type, id: Hashable | None = None) -> None:
        if id is not None:
            self._entries.pop((model, id), None)
        else:
            for key in [k for k in self._entries if k[0] is model]:
                del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def current_query_cache() -> QueryCache | None:
    return _request_cache.get()


@contextmanager
def query_cache_scope(cache: QueryCache | None = None) -> Iterator[QueryCache]:
    """Make ``cache`` (or a fresh one) the current request's cache until the block ends."""
    cache = cache if cache is not None else QueryCache()
    token = _request_cache.set(cache)
    try:
        yield cache
    finally:
        _request_cache.reset(token)
