"""``@cached`` and ``@invalidate_cache`` for repository methods.

    @cached(key_builder=lambda self, id: CacheKeys.recruiter(id), ttl=CacheTTL.LONG)
    async def get(self, id: int) -> Result[Recruiter, Error]: ...

    @invalidate_cache("recruiters:*", "recruiter:{arg1}")
    async def add(self, entity: Recruiter) -> Result[Recruiter, Error]: ...

What they guarantee:

* Only a ``Success`` whose value is not None is cached; a hit returns the same type as a miss
  (entities rebuilt into the caller's session, see ``cache_codec``).
* Inside a ``UnitOfWork`` invalidation is a write intent right before COMMIT and fresh
  versions right after it (nothing on rollback; also when COMMIT raised, since it may have
  committed), and until then the unit of work's own reads of what it wrote bypass the cache,
  so its uncommitted rows are never cached. Outside one it happens at once.
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
from typing import Any, ParamSpec, TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncSession

from slotwise.cache import codec as cache_codec
from slotwise.cache import refresh
from slotwise.cache.client import CacheClient, get_cache
from slotwise.cache.keys import ValueDeps, check_key, covers, guard_bucket
from slotwise.cache.layout import UNAVAILABLE, Miss
from slotwise.cache.scope import CacheScope, scope_of
from slotwise.cache.templates import CallValues, KeyTemplate, Unresolved
from slotwise.observability.metrics import L1_TIER, REDIS_TIER, get_metrics
from slotwise.result import Success

__all__ = [
    "cached",
    "invalidate_cache",
    "read_through",
    "schedule_invalidation",
    "schedule_refresh",
]

P = ParamSpec("P")
R = TypeVar("R")
AsyncFn = Callable[..., Awaitable[Any]]

#: Where a tier entry keeps its decoded payload.
DECODED = "decoded"
_ABSENT = object()

#: ``uow.info`` key: the targets this unit of work has written (and will invalidate).
DIRTY = "cache.dirty"


#: ``uow.info`` key: the transaction's pending invalidation (its refreshes join it).
PENDING = "cache.pending"


class _NotCounted:
    """The metrics of a refresh's lookups: none (a refresh is not a read)."""

    def record_cache_hit(self, tier: str = REDIS_TIER) -> None:
        return None

    def record_cache_miss(self, tier: str = REDIS_TIER) -> None:
        return None


_NOT_COUNTED = _NotCounted()


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


def _written_by_uow(session: AsyncSession, key: str, depends_on: ValueDeps | None = None) -> bool:
    """Has the session's unit of work written something ``key`` shows (the key itself, or,
    for values with dep keys, any entity of the kind they embed)? Then it reads the database:
    neither its uncommitted rows nor a cached copy from before its own write."""
    uow = scope_of(session)
    if uow is None:
        return False
    dirty: set[str] | None = uow.info.get(DIRTY)
    if not dirty:
        return False
    if depends_on is not None:
        kind = f"{depends_on.guard}:"
        if any(target.startswith(kind) for target in dirty):
            return True
    return any(covers(target, key) for target in dirty)


def _snapshot_is_fresh(session: AsyncSession | None) -> bool:
    """May what this session reads now be stored under a token taken now? Its unit of work
    knows (a SQLite read transaction keeps the snapshot of its first read); a session outside
    one reads a fresh snapshot per statement."""
    scope = scope_of(session) if session is not None else None
    return scope is None or scope.snapshot_is_fresh()


def _rebuilt(data: bytes | memoryview, session: AsyncSession | None) -> Success[Any] | None:
    """The value stored as ``data``, rebuilt into ``session``; None when it does not decode
    (an undecodable payload counts as a miss)."""
    payload = cache_codec.decode(data)
    return None if payload is None else Success(cache_codec.materialize(payload, session))


def _local_hit(cache: CacheClient, key: str, session: AsyncSession | None) -> Success[Any] | None:
    """A hit from the in-process tier: its decoded payload (decoded once per entry and kept
    with it), rebuilt for ``session``; None when the tier cannot answer."""
    entry = cache.local_hit(key)
    if entry is None:
        return None
    payload = entry.derived.get(DECODED, _ABSENT)
    if payload is _ABSENT:
        payload = cache_codec.decode(entry.payload)
        if payload is None:
            return None
        assert cache.tier is not None
        cache.tier.local.derive(key, entry, DECODED, payload, len(entry.payload))
    return Success(cache_codec.materialize(payload, session))


async def read_through(
    cache: CacheClient,
    key: str,
    ttl: int,
    load: Callable[[], Awaitable[Any]],
    session: AsyncSession | None,
    depends_on: ValueDeps | None = None,
) -> Any:
    """The cached value of ``key``, else ``load()`` (stored when it is a cacheable Success)."""
    guards = depends_on.guards if depends_on is not None else ()
    metrics = _NOT_COUNTED if refresh.refreshing() else get_metrics()
    if cache.tier is not None:
        local = _local_hit(cache, key, session)
        if local is not None:
            metrics.record_cache_hit(L1_TIER)
            return local
        metrics.record_cache_miss(L1_TIER)
    found = await cache.lookup(key, guards=guards)
    if not isinstance(found, Miss):  # a hit: the payload's bytes
        hit = _rebuilt(found, session)
        if hit is not None:
            metrics.record_cache_hit(REDIS_TIER)
            return hit
        found = UNAVAILABLE  # an undecodable payload is a miss (not refilled by this call)
    metrics.record_cache_miss(REDIS_TIER)
    if not found.token:  # nothing may be stored, so no load is shared either
        if found.locked:
            await cache.store(key, found, None, ttl)  # only releases the lock
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
    flight_id, joined = found.flight, found
    future = cache.flights.lead(key, flight_id)
    shared: Any = None
    guards = depends_on.guards if depends_on is not None else ()
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
            data = _encoded(result.value)
            deps = tuple(depends_on.keys(result.value)) if depends_on is not None else ()
            # Shared only if what the followers matched on tells this load apart from one
            # before a write (else they load themselves: shared stays None).
            shareable = _guard_versions(joined, depends_on, deps)
            if data is not None and shareable is not None:
                shared = data
                cache.flights.land(key, flight_id, future, shared)
                checked = shareable if found is joined else _guard_versions(found, depends_on, deps)
                await _store(cache, key, found, data, ttl, checked, deps)
                found = UNAVAILABLE
        else:
            shared = result
        return result
    finally:
        cache.flights.land(key, flight_id, future, shared)
        if found.locked:
            await cache.store(key, found, None, ttl)  # release the lock (load failed or None)


def _encoded(value: Any) -> bytes | None:
    """``value``'s payload, or None when the codec does not cache it."""
    if not cache_codec.can_encode(value):
        return None
    try:
        return cache_codec.encode(value)
    except cache_codec.NotCacheable:
        return None


def _guard_versions(
    found: Miss, depends_on: ValueDeps | None, deps: tuple[str, ...]
) -> tuple[tuple[str, ...], list[str]] | None:
    """The guard buckets of ``deps`` (what the loaded value embeds), and the versions
    ``found`` saw for them; None when one of them was being written then. An intent is the
    one version that can read the same before and after a write (a dead writer's entry
    outlives the writers that come after it), so a load under it is neither stored nor
    shared."""
    if depends_on is None:
        return (), []
    guards = tuple(sorted({guard_bucket(depends_on.guard, dep) for dep in deps}))
    seen = dict(zip(depends_on.guards, found.guard.split(","), strict=False))
    versions = [seen.get(guard, "") for guard in guards]
    if any(not v or v.startswith("!") for v in versions):
        return None
    return guards, versions


async def _store(
    cache: CacheClient,
    key: str,
    found: Miss,
    data: bytes,
    ttl: int,
    checked: tuple[tuple[str, ...], list[str]] | None,
    deps: tuple[str, ...],
) -> None:
    """Store ``data`` under ``found``'s token and the guard versions ``checked`` (what
    ``_guard_versions`` made of ``found``), recording ``deps``; with nothing checked, only
    release the lock."""
    if checked is None:
        await cache.store(key, found, None, ttl)
        return
    guards, versions = checked
    await cache.store(key, found._replace(guard=",".join(versions)), data, ttl, guards, deps)


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
    session: AsyncSession | CacheScope | None, targets: Iterable[str]
) -> None:
    """Invalidate ``targets`` around the commit of the session's unit of work, or now.

    Inside a unit of work: write intents on the targets right before its COMMIT, fresh
    versions right after it (also when COMMIT raised: it may have committed)."""
    targets = list(targets)
    if not targets:
        return
    uow = scope_of(session) if isinstance(session, AsyncSession) else session
    if uow is None:
        cache = get_cache()
        if cache is not None:
            await cache.invalidate(*targets)
        return
    dirty: set[str] | None = uow.info.get(DIRTY)
    if dirty is None:
        # First write of this transaction: one pair of actions covers everything the
        # transaction writes. commit() and rollback() drop uow.info[DIRTY]; the actions keep
        # their own reference to the set.
        dirty = set()
        uow.info[DIRTY] = dirty
        pending = _Pending(dirty)
        uow.info[PENDING] = pending
        uow.before_commit(pending.mark)
        uow.after_commit(pending.invalidate, also_if_unsure=True)
    dirty.update(targets)


async def schedule_refresh(session: AsyncSession | None, read: refresh.Read) -> None:
    """Run ``read`` (a read-through of what the write changed) in the background right after
    the invalidation of the session's unit of work executed, before its commit-wait (nothing
    when it invalidates nothing); outside a unit of work, now. Call it after
    ``schedule_invalidation`` (see ``cache.refresh``)."""
    if get_cache() is None:
        return
    uow = scope_of(session) if session is not None else None
    if uow is None:
        refresh.start(read)
        return
    pending: _Pending | None = uow.info.get(PENDING)
    if pending is not None:  # else the transaction invalidates nothing: nothing to refresh
        pending.refreshes.append(read)


class _Pending:
    """One transaction's invalidation: intents before COMMIT, versions after it."""

    def __init__(self, targets: set[str]) -> None:
        self.targets = targets
        self.intents: tuple[str, ...] = ()
        self.cache: CacheClient | None = None
        self.refreshes: list[refresh.Read] = []

    async def mark(self) -> None:
        self.cache = get_cache()
        if self.cache is not None and self.targets:
            self.intents = await self.cache.mark_intents(self.targets)

    async def invalidate(self) -> None:
        cache = self.cache or get_cache()
        if cache is None or not self.targets:
            return
        if not self.refreshes:
            await cache.invalidate(*self.targets, intents=self.intents)
        elif await cache.invalidate(*self.targets, intents=self.intents, commit_wait=False):
            for read in self.refreshes:
                refresh.start(read)
            await cache.commit_wait()
