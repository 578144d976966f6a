"""``@cached`` and ``@invalidate_cache`` for repository methods, and ``CacheInvalidator``.

    @cached(key_builder=lambda self, id: CacheKeys.recruiter(id), ttl=CacheTTL.LONG)
    async def get(self, id: int) -> Result[Recruiter, Error]: ...

    @invalidate_cache("recruiters:*", "recruiter:{arg1}")
    async def add(self, entity: Recruiter) -> Result[Recruiter, Error]: ...

What the document's decorators did not do and these do:

* Only a ``Success`` whose value is not None is cached; a hit returns the same type as a miss
  (entities rebuilt into the caller's session, see ``cache_codec``).
* Inside a ``UnitOfWork`` invalidation is an after-commit action (nothing before the commit,
  nothing on rollback), and until then the unit of work's own reads of what it wrote bypass
  the cache, so its uncommitted rows are never cached. Outside one it happens at once.
* Placeholders resolve after the call, on the flushed entity or the returned value, and are
  escaped (``cache_templates``).
* A miss carries a token; what was read is stored only if no invalidation happened since
  (``cache.CacheClient.store``). Concurrent misses in a process share one load; across
  processes a short lock makes the others wait for the first one's value.
* With Redis down or slow, every call goes to the database (the breaker makes that free).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession

from slotwise.cache import codec as cache_codec
from slotwise.cache.client import UNAVAILABLE, CacheClient, Miss, get_cache
from slotwise.cache.keys import CacheKeys, CacheTTL, ValueDeps, check_key, covers, escape
from slotwise.cache.templates import CallValues, KeyTemplate, Unresolved
from slotwise.observability.metrics import get_metrics
from slotwise.persistence.db import SQLITE_BEGIN
from slotwise.result import Success

if TYPE_CHECKING:  # uow imports the repositories, which import this module
    from slotwise.persistence.uow import BaseUnitOfWork as UnitOfWork

__all__ = ["CacheInvalidator", "cached", "invalidate_cache", "schedule_invalidation"]

P = ParamSpec("P")
R = TypeVar("R")
AsyncFn = Callable[..., Awaitable[Any]]

#: ``uow.info`` key: the targets this unit of work has written (and will invalidate).
DIRTY = "cache.dirty"
#: ``session.info`` key of the session's unit of work (``slotwise.persistence.uow.UOW_KEY``).
UOW_KEY = "slotwise.uow"


# --- @cached -------------------------------------------------------------------------------


def _key_function(key_builder: Callable[..., str] | str, fn: AsyncFn) -> Callable[..., str]:
    if callable(key_builder):
        return key_builder
    template = KeyTemplate(key_builder)
    if template.is_pattern:
        raise ValueError(f"a cached key cannot be a pattern: {key_builder!r}")
    values = CallValues(fn)

    def build(*args: Any, **kwargs: Any) -> str:
        return template.render(values.bind(args, kwargs))

    return build


def cached(
    key_builder: Callable[..., str] | str,
    ttl: int | None = None,
    depends_on: ValueDeps | None = None,
) -> Callable[[Callable[P, Coroutine[Any, Any, R]]], Callable[P, Coroutine[Any, Any, R]]]:
    """Cache a method's ``Success`` value under ``key_builder(self, *args)`` for ``ttl`` s.

    ``key_builder`` is a callable taking the method's arguments, or a template string
    (``"recruiter:{arg1}"``). ``ttl`` defaults to the configured default (CACHE_DEFAULT_TTL).
    ``depends_on`` names what the value embeds that its key does not (see ``ValueDeps``).
    """

    def decorate(fn: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
        build = _key_function(key_builder, fn)

        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            cache = get_cache()
            if cache is None:
                return await fn(*args, **kwargs)
            try:
                key = check_key(build(*args, **kwargs))
            except (Unresolved, ValueError):
                return await fn(*args, **kwargs)  # e.g. a naive datetime: the call reports it
            session = _session_of(args)
            if session is not None and _written_by_uow(session, key, depends_on):
                # Not a lookup: the cache is not consulted, so neither a hit nor a miss.
                return await fn(*args, **kwargs)
            return cast(
                R,
                await read_through(
                    cache,
                    key,
                    ttl or cache.config.default_ttl,
                    lambda: fn(*args, **kwargs),
                    session,
                    depends_on,
                ),
            )

        return wrapper

    return decorate


def _session_of(args: tuple[Any, ...]) -> AsyncSession | None:
    if not args:
        return None
    session = getattr(args[0], "session", None)
    return session if isinstance(session, AsyncSession) else None


def _uow_of(session: AsyncSession) -> UnitOfWork | None:
    return session.info.get(UOW_KEY)


def _written_by_uow(session: AsyncSession, key: str, depends_on: ValueDeps | None = None) -> bool:
    """Has the session's unit of work written something ``key`` shows (the key itself, or,
    for values with dep keys, any entity of the kind they embed)? Then it reads the database:
    neither its uncommitted rows nor a cached copy from before its own write."""
    uow = _uow_of(session)
    if uow is None:
        return False
    dirty: set[str] | None = uow.info.get(DIRTY)
    if not dirty:
        return False
    if depends_on is not None and f"{depends_on.guard}:*" in dirty:
        return True
    return any(covers(target, key) for target in dirty)


def _snapshot_is_fresh(session: AsyncSession | None) -> bool:
    """May what this session reads now be stored under a token taken now?

    Yes on PostgreSQL (READ COMMITTED: a new snapshot per statement), and in a SQLite write
    transaction (BEGIN IMMEDIATE holds the write lock, so nothing can commit after its
    snapshot). A SQLite read transaction (BEGIN DEFERRED) keeps the snapshot of its first read,
    which may predate the token: only its first read may fill the cache.
    """
    if session is None or not session.in_transaction():
        return True
    bind = session.sync_session.get_bind()
    if bind.dialect.name != "sqlite":
        return True
    options = bind.get_execution_options() if isinstance(bind, Engine) else {}
    return bool(options.get(SQLITE_BEGIN, "IMMEDIATE") == "IMMEDIATE")


def _rebuilt(data: bytes | memoryview, session: AsyncSession | None) -> Success[Any] | None:
    """The value stored as ``data``, rebuilt into ``session``; None when it does not decode
    (an undecodable payload counts as a miss)."""
    payload = cache_codec.decode(data)
    return None if payload is None else Success(cache_codec.materialize(payload, session))


async def read_through(
    cache: CacheClient,
    key: str,
    ttl: int,
    load: Callable[[], Awaitable[Any]],
    session: AsyncSession | None,
    depends_on: ValueDeps | None = None,
) -> Any:
    """The cached value of ``key``, else ``load()`` (stored when it is a cacheable Success)."""
    guards = (depends_on.guard,) if depends_on is not None else ()
    found = await cache.lookup(key, guards=guards)
    if not isinstance(found, Miss):  # a hit: the payload's bytes
        hit = _rebuilt(found, session)
        if hit is not None:
            get_metrics().record_cache_hit()
            return hit
        found = UNAVAILABLE  # an undecodable payload is a miss (not refilled by this call)
    get_metrics().record_cache_miss()
    if found.token is None:
        return await load()
    # Asked only on a miss (a hit never stores); nothing else uses the session meanwhile.
    if not _snapshot_is_fresh(session):
        await cache.store(key, found, None, ttl)  # only releases the lock
        return await load()
    flight = cache.flights.join(key, found.flight)
    if flight is not None:
        if found.locked:
            await cache.store(key, found, None, ttl)
        shared = await _await_flight(flight, cache.config.flight_wait)
        if isinstance(shared, bytes):
            hit = _rebuilt(shared, session)
            if hit is not None:
                return hit
        elif shared is not None:
            return shared
        return await load()  # the leader had nothing to share, or took too long
    return await _lead(cache, key, ttl, load, session, found, depends_on)


async def _await_flight(flight: asyncio.Future[Any], patience: float) -> Any:
    """The flight's shared value, or None after ``patience`` seconds: a follower never waits
    longer than that for a leader whose load is slow, stuck or was cancelled."""
    try:
        async with asyncio.timeout(patience):
            return await asyncio.shield(flight)
    except TimeoutError:
        return None


async def _lead(
    cache: CacheClient,
    key: str,
    ttl: int,
    load: Callable[[], Awaitable[Any]],
    session: AsyncSession | None,
    found: Miss,
    depends_on: ValueDeps | None = None,
) -> Any:
    """Load for every caller with this token: wait for another process's load first if it
    holds the lock, then load, store, and share.

    The followers are told (``land``) before anything else is awaited on the way out, so an
    exception or a cancellation of this task, even one that hits the lock release, cannot
    leave them waiting."""
    assert found.token is not None
    flight_id = found.flight
    future = cache.flights.lead(key, flight_id)
    shared: Any = None
    guards = (depends_on.guard,) if depends_on is not None else ()
    try:
        if not found.locked:
            waited = await _wait_for_other_process(cache, key, found, guards)
            if not isinstance(waited, Miss):
                hit = _rebuilt(waited, session)
                if hit is not None:
                    shared = bytes(waited)
                    return hit
                waited = UNAVAILABLE
            found = waited
        result = await load()
        if isinstance(result, Success) and result.value is not None:
            if cache_codec.can_encode(result.value):
                try:
                    data = cache_codec.encode(result.value)
                except cache_codec.NotCacheable:
                    shared = None
                else:
                    shared = data
                    cache.flights.land(key, flight_id, future, shared)
                    deps = depends_on.keys(result.value) if depends_on is not None else ()
                    await cache.store(key, found, data, ttl, guards, deps)
                    found = UNAVAILABLE
        else:
            shared = result
        return result
    finally:
        cache.flights.land(key, flight_id, future, shared)
        if found.locked:
            await cache.store(key, found, None, ttl)  # release the lock (load failed or None)


async def _wait_for_other_process(
    cache: CacheClient, key: str, missed: Miss, guards: tuple[str, ...] = ()
) -> memoryview | bytes | Miss:
    """Poll while another process holds the key's lock: its value, or the lock, or give up
    after ``lock_wait`` and load anyway (availability over a little duplicated work)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + cache.config.lock_wait
    delay = 0.005
    found: memoryview | bytes | Miss = missed
    while loop.time() < deadline:
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.05)
        found = await cache.lookup(key, guards=guards)
        if not isinstance(found, Miss) or found.locked or found.token is None:
            return found
    return found


# --- @invalidate_cache ----------------------------------------------------------------------


def invalidate_cache(
    *patterns: str,
) -> Callable[[Callable[P, Coroutine[Any, Any, R]]], Callable[P, Coroutine[Any, Any, R]]]:
    """After a ``Success``, invalidate ``patterns`` (keys or ``"prefix:*"``, with
    placeholders); inside a unit of work, after its commit."""
    templates = [KeyTemplate(p) for p in patterns]

    def decorate(fn: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
        values = CallValues(fn)

        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            result = await fn(*args, **kwargs)
            if not isinstance(result, Success):
                return result
            bound = values.bind(args, kwargs)
            bound["result"] = result.value
            targets = [t.render_or_widen(bound) for t in templates]
            await schedule_invalidation(_session_of(args), targets)
            return result

        return wrapper

    return decorate


async def schedule_invalidation(
    session: AsyncSession | UnitOfWork | None, targets: Iterable[str]
) -> None:
    """Invalidate ``targets`` after the commit of the session's unit of work, or now."""
    targets = list(targets)
    if not targets:
        return
    uow = _uow_of(session) if isinstance(session, AsyncSession) else session
    if uow is None:
        cache = get_cache()
        if cache is not None:
            await cache.invalidate(*targets)
        return
    dirty: set[str] | None = uow.info.get(DIRTY)
    if dirty is None:
        # First write of this transaction: one after-commit action invalidates everything the
        # transaction wrote. commit() and rollback() drop uow.info[DIRTY]; the action keeps
        # its own reference to the set.
        dirty = set()
        uow.info[DIRTY] = dirty
        uow.after_commit(functools.partial(_invalidate_now, dirty))
    dirty.update(targets)


async def _invalidate_now(targets: set[str]) -> None:
    cache = get_cache()
    if cache is not None and targets:
        await cache.invalidate(*targets)


# --- manual invalidation -------------------------------------------------------------------


class CacheInvalidator:
    """Invalidation for what the decorators cannot see (scripts, bulk SQL, admin tools).

    Each method takes an optional unit of work: given one, the invalidation waits for its
    commit; without one it happens now.
    """

    async def invalidate_recruiter(self, recruiter_id: int, uow: UnitOfWork | None = None) -> None:
        """The recruiter, recruiter lists, and the slots and slot lists that embed it."""
        await self._run(uow, *CacheKeys.recruiter_changed(recruiter_id))

    async def invalidate_city(self, city_id: int, uow: UnitOfWork | None = None) -> None:
        """The city and everything that embeds it (recruiters' cities, slots' city)."""
        await self._run(
            uow,
            CacheKeys.city(city_id),
            "cities:*",
            "recruiter:*",
            "recruiters:*",
            "slot:*",
            "slots:*",
        )

    async def invalidate_slot(
        self, slot_id: int, recruiter_id: int | None = None, uow: UnitOfWork | None = None
    ) -> None:
        """The slot and its recruiter's slot lists (every slot list when unknown)."""
        await self._run(uow, *CacheKeys.slot_changed(slot_id, [recruiter_id]))

    async def invalidate_templates(self, uow: UnitOfWork | None = None) -> None:
        """Every template list and resolution (a global template changes every city's)."""
        await self._run(uow, "templates:*")

    async def invalidate_user(
        self,
        telegram_id: int | None = None,
        user_id: int | None = None,
        uow: UnitOfWork | None = None,
    ) -> None:
        targets = [CacheKeys.user_by_telegram(telegram_id)] if telegram_id is not None else []
        if user_id is not None:
            targets.append(CacheKeys.user(user_id))
        await self._run(uow, *(targets or ["user:*"]))

    async def invalidate_pattern(self, pattern: str, uow: UnitOfWork | None = None) -> None:
        await self._run(uow, pattern)

    async def invalidate_all(self, uow: UnitOfWork | None = None) -> None:
        await self._run(uow, "*")

    @staticmethod
    async def _run(uow: UnitOfWork | None, *targets: str) -> None:
        await schedule_invalidation(uow, targets)


__all__ += ["CacheKeys", "CacheTTL", "escape", "read_through"]
