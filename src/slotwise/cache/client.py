"""The Redis cache: configuration, the process-wide client, and its versioned key space.

    config = CacheConfig(host="localhost", port=6379, max_connections=50, socket_timeout=0.05)
    init_cache(config)
    await connect_cache()          # app startup; never raises: no Redis means uncached
    ...
    await disconnect_cache()       # app shutdown

How it stays correct and cheap:

* **Versions, not scans.** Every logical key (``"slots:free:recruiter:3:after:..."``) is
  covered by version counters: a global generation, one counter per whole-segment prefix
  (``slots``, ``slots:free``, ...), and one for the key itself. A stored value carries the
  versions it was computed under; a read returns it only if they are still current. So
  invalidating ``"recruiters:*"`` is one INCR whatever the size of the key space, and a hit is
  one round trip (one MGET reads the versions and the value, atomically).
* **No stale refill.** A miss hands back the versions it saw (the *token*) before the database
  is read; the store is refused unless the versions are still the same, checked atomically
  in Lua. A write that committed and invalidated in between voids the token.
* **Stampede.** A miss also takes a short ``SET NX PX`` lock, so one process in a herd loads and
  the others wait briefly for its value (in-process herds are coalesced before that, in
  ``cache_decorators``).
* **Fail-open.** Short socket timeouts, a circuit breaker, and no exception ever leaves the
  cache. An invalidation that could not be delivered, or an outage, makes the client start a
  new generation before it uses Redis again, so nothing written before it is served.
* **Schema version.** Value keys carry ``SCHEMA_VERSION`` and a fingerprint of the cached
  shapes: a deploy that changes a DTO never reads old payloads.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import NoScriptError, RedisError

from slotwise.cache import codec as cache_codec
from slotwise.cache import layout
from slotwise.cache.breaker import CircuitBreaker
from slotwise.cache.config import (
    CacheConfig,
    make_redis,
)
from slotwise.cache.flight import SingleFlight
from slotwise.cache.keys import (
    CacheTTL,
    check_key,
)
from slotwise.cache.layout import (
    CURRENT,
    LOCK_MS,
    UNAVAILABLE,
    VERSION_TTL_MS,
    Miss,
    key_set,
    new_generation,
    version_key,
)
from slotwise.cache.scripts import INVALIDATE, STORE
from slotwise.result import DatabaseError, Error, Failure, Result, Success
from slotwise.settings import Settings, get_settings

__all__ = [
    "CacheClient",
    "CacheConfig",
    "cache_status",
    "clear_cache_from_settings",
    "connect_cache",
    "disconnect_cache",
    "get_cache",
    "init_cache",
    "install_cache",
    "open_app_cache",
    "setup_cache_from_settings",
]

log = logging.getLogger("slotwise.cache")

_REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)


class CacheClient:
    """The process's cache. Every method is fail-open: Redis trouble is a miss or a Failure,
    never an exception."""

    def __init__(self, config: CacheConfig, redis: Redis | None = None) -> None:
        self.config = config
        self.prefix = config.key_prefix
        self.breaker = CircuitBreaker(config.breaker_threshold, config.breaker_reset_after)
        self._redis: Redis | None = redis
        #: In-process loads in progress (concurrent misses of one key share one).
        self.flights = SingleFlight()
        self._nonce = new_generation()
        self._lock_ids = itertools.count()
        #: An invalidation may have been lost (or Redis was out): start a new generation
        #: before the next use.
        self.needs_reset = False
        if redis is not None:
            self._bind_scripts(redis)

    # --- connection ---------------------------------------------------------------------

    def _bind_scripts(self, redis: Redis) -> None:
        self._store = redis.register_script(STORE)
        self._invalidate = redis.register_script(INVALIDATE)

    @property
    def redis(self) -> Redis | None:
        return self._redis

    @property
    def _client(self) -> Redis | None:
        """The redis client under its older name; assigning one (a fakeredis client in tests)
        rebinds the scripts to it."""
        return self._redis

    @_client.setter
    def _client(self, redis: Redis) -> None:
        self._redis = redis
        self._bind_scripts(redis)

    async def connect(self) -> bool:
        """Open the pool and check Redis answers; False (and the breaker open) when it does not."""
        if self._redis is None:
            self._redis = make_redis(self.config)
            self._bind_scripts(self._redis)
        try:
            await self._redis.ping()
        except _REDIS_ERRORS as exc:
            self.breaker.force_open(type(exc).__name__)
            self.needs_reset = True
            return False
        return True

    async def close(self) -> None:
        if self._redis is not None:
            redis, self._redis = self._redis, None
            try:
                await redis.aclose()
            except _REDIS_ERRORS:
                log.debug("cache: closing the pool failed", exc_info=True)

    @property
    def available(self) -> bool:
        """True when calls currently go to Redis (breaker closed, nothing to reset)."""
        return self._redis is not None and self.breaker.is_closed and not self.needs_reset

    # --- guarded access -----------------------------------------------------------------

    def _failed(self, exc: BaseException) -> None:
        if self.breaker.record_failure(type(exc).__name__):
            self.needs_reset = True

    async def _ready(self) -> Redis | None:
        """The client if a call may go to Redis now (after a reset if one is owed)."""
        redis = self._redis
        if redis is None or not self.breaker.allow():
            return None
        if self.needs_reset:
            try:
                await redis.set(f"{self.prefix}:gen", new_generation())
            except _REDIS_ERRORS as exc:
                self._failed(exc)
                return None
            self.needs_reset = False
            log.info("cache: started a new generation; entries from before are ignored")
        return redis

    # --- the read-through protocol (used by @cached) ------------------------------------

    async def _start_generation(self) -> bool:
        assert self._redis is not None
        try:
            await self._redis.set(f"{self.prefix}:gen", new_generation(), nx=True)
        except _REDIS_ERRORS as exc:
            self._failed(exc)
            return False
        return True

    async def lookup(
        self, key: str, lock: bool = True, _retry: bool = True, guards: tuple[str, ...] = ()
    ) -> bytes | memoryview | Miss:
        """The payload stored under ``key`` if still valid, else a Miss with a store token.

        One MGET reads the value and every version it depends on, atomically: a hit is one
        round trip of a plain command (two when the value records dep keys, see ``store``).
        Only a miss takes the lock (a second trip). ``guards`` are namespaces (``"dep:recruiter"``)
        whose counters are read too but only checked at store time: a write of that kind
        between this miss and the store voids the store, not the entries already there."""
        redis = self._redis
        if redis is None or self.needs_reset or not self.breaker.is_closed:
            redis = await self._ready()
            if redis is None:
                return UNAVAILABLE
        keys = key_set(self.prefix, key)
        guard_keys = layout.guard_keys(self.prefix, guards) if guards else ()
        try:
            reply: list[bytes | None] = await redis.mget(  # type: ignore[assignment]
                (*keys[:-1], *guard_keys) if guard_keys else keys[:-1]
            )
        except _REDIS_ERRORS as exc:
            self._failed(exc)
            return UNAVAILABLE
        self.breaker.record_success()
        if reply[1] is None:
            # First use of this prefix, or Redis restarted empty: start a generation (the
            # first process wins) and look again.
            if _retry and await self._start_generation():
                return await self.lookup(key, lock, _retry=False, guards=guards)
            return UNAVAILABLE
        versions = len(keys) - 1
        token: bytes = b",".join([v or b"0" for v in reply[1:versions]])
        guard = b",".join([v or b"0" for v in reply[versions:]]).decode() if guard_keys else ""
        value: bytes | None = reply[0]
        cut = len(token)
        if value is not None and value.startswith(token):
            mark = value[cut : cut + 1]
            if mark == b"|":
                return memoryview(value)[cut + 1 :]
            if mark == b";":
                found = await self._check_deps(redis, value, cut)
                if found is not None:
                    return found
        if not lock:
            return Miss(token.decode(), guard=guard)
        lock_id = f"{self._nonce}{next(self._lock_ids)}"
        try:
            locked = await redis.set(keys[-1], lock_id, nx=True, px=LOCK_MS)
        except _REDIS_ERRORS as exc:
            self._failed(exc)
            return Miss(token.decode(), guard=guard)
        return Miss(token.decode(), bool(locked), lock_id if locked else "", guard)

    async def _check_deps(self, redis: Redis, value: bytes, cut: int) -> memoryview | None:
        """The payload of a value whose header (``token;dep=version;...|``) records dep keys,
        if every dep key still has the version recorded; None otherwise (a miss)."""
        end = value.find(b"|", cut)
        if end < 0:
            return None
        recorded = [item.rpartition(b"=") for item in value[cut + 1 : end].split(b";")]
        try:
            current: list[bytes | None] = await redis.mget(  # type: ignore[assignment]
                [dep for dep, _, _ in recorded]
            )
        except _REDIS_ERRORS as exc:
            self._failed(exc)
            return None
        for (_, _, version), now in zip(recorded, current, strict=True):
            if (now or b"0") != version:
                return None
        return memoryview(value)[end + 1 :]

    async def store(
        self,
        key: str,
        miss: Miss,
        data: bytes | None,
        ttl: int,
        guards: tuple[str, ...] = (),
        deps: Iterable[str] = (),
    ) -> bool:
        """Store ``data`` if the token (and guard versions) of ``miss`` are still current,
        recording the current version of each ``deps`` key; release the miss's lock."""
        if miss.token is None and not miss.locked:
            return False
        redis = await self._ready()
        if redis is None:
            return False
        ttl_ms = min(int(ttl), int(CacheTTL.VERY_LONG)) * 1000
        storing = data is not None and bool(miss.token)
        guard_keys = layout.guard_keys(self.prefix, guards) if storing and guards else ()
        dep_keys = layout.dep_keys(self.prefix, deps) if storing else ()
        args = (
            miss.token if storing else "",
            data or b"",
            ttl_ms,
            miss.lock_id,
            miss.guard,
            len(guard_keys),
            len(dep_keys),
        )
        keys = (*key_set(self.prefix, key), *guard_keys, *dep_keys)
        try:
            stored = await self._run(self._store.sha, STORE, keys, args)
        except _REDIS_ERRORS as exc:
            self._failed(exc)
            return False
        return bool(stored)

    async def _run(self, sha: str, script: str, keys: tuple[str, ...], args: Iterable[Any]) -> Any:
        assert self._redis is not None
        try:
            return await self._redis.evalsha(sha, len(keys), *keys, *args)
        except NoScriptError:
            await self._redis.script_load(script)
            return await self._redis.evalsha(sha, len(keys), *keys, *args)

    # --- invalidation -------------------------------------------------------------------

    async def invalidate(self, *targets: str) -> bool:
        """Make every key matching ``targets`` (keys, ``"ns:*"`` patterns, ``"*"``) a miss.

        O(1) per target whatever the key space holds. When Redis cannot be told, the client
        owes a reset (a new generation) before it serves anything again.
        """
        if not targets:
            return True
        version_keys = []
        new_gen = ""
        for target in dict.fromkeys(targets):
            found = version_key(self.prefix, target)
            if found is None:
                new_gen = new_generation()
            else:
                version_keys.append(found)
        redis = await self._ready()
        if redis is None:
            self.needs_reset = True
            return False
        keys = (f"{self.prefix}:gen", *version_keys)
        try:
            await self._run(self._invalidate.sha, INVALIDATE, keys, (VERSION_TTL_MS, new_gen))
        except _REDIS_ERRORS as exc:
            self._failed(exc)
            self.needs_reset = True
            return False
        self.breaker.record_success()
        return True

    async def clear(self) -> bool:
        """Invalidate everything under this prefix (a new generation): O(1)."""
        return await self.invalidate("*")

    # --- get / set / delete as Results ------------------------------------------------------

    async def get(self, key: str) -> Result[Any, Error]:
        """The cached value (entities come back detached), Success(None) when absent."""
        found = await self.lookup(check_key(key), lock=False)
        if not isinstance(found, Miss):
            payload = cache_codec.decode(found)
            return Success(None if payload is None else cache_codec.materialize(payload, None))
        if found is UNAVAILABLE and not self.available:
            return Failure(DatabaseError("cache.get", "the cache is unavailable"))
        return Success(None)

    async def set(self, key: str, value: Any, ttl: int | None = None) -> Result[bool, Error]:
        """Store ``value`` (an entity, a list of entities or a scalar) under ``key``."""
        if not cache_codec.can_encode(value):
            return Failure(DatabaseError("cache.set", f"cannot cache a {type(value).__name__}"))
        data = cache_codec.encode(value)
        ttl = ttl or self.config.default_ttl
        stored = await self.store(check_key(key), CURRENT, data, ttl)
        if not stored and self.available and await self._start_generation():
            stored = await self.store(key, CURRENT, data, ttl)  # it was the first use
        if not stored and not self.available:
            return Failure(DatabaseError("cache.set", "the cache is unavailable"))
        return Success(stored)

    async def delete(self, key: str) -> Result[bool, Error]:
        ok = await self.invalidate(check_key(key))
        return Success(True) if ok else Failure(DatabaseError("cache.delete", "unavailable"))

    async def exists(self, key: str) -> Result[bool, Error]:
        found = await self.get(key)
        return found.map(lambda v: v is not None)

    async def ping(self) -> bool:
        redis = await self._ready()
        if redis is None:
            return False
        try:
            await redis.ping()
        except _REDIS_ERRORS as exc:
            self._failed(exc)
            return False
        self.breaker.record_success()
        return True


# --- the process-wide cache --------------------------------------------------------------

_config: CacheConfig | None = None
_cache: CacheClient | None = None


def init_cache(config: CacheConfig | None = None) -> None:
    """Configure the process's cache (not connected yet); ``None`` reads the settings."""
    global _config
    _config = config or CacheConfig.from_settings()


async def connect_cache() -> CacheClient | None:
    """Connect the configured cache. Never raises: with Redis unreachable the service runs
    uncached (one warning) and the breaker keeps probing, so caching resumes by itself."""
    global _cache
    if _config is None:
        init_cache()
    assert _config is not None
    if _cache is not None:
        await _cache.close()
    client = CacheClient(_config)
    if await client.connect():
        log.info("cache: connected to %s", _config.redacted_url())
    _cache = client
    return client


async def disconnect_cache() -> None:
    global _cache
    if _cache is not None:
        client, _cache = _cache, None
        await client.close()


def get_cache() -> CacheClient | None:
    """The connected cache, or None when caching is off (not connected or CACHE_ENABLED=false)."""
    return _cache


def install_cache(client: CacheClient | None) -> None:
    """Make ``client`` the process's cache (tests; ``None`` turns caching off)."""
    global _cache
    _cache = client


async def setup_cache_from_settings(settings: Settings | None = None) -> CacheClient | None:
    """What an application's startup does: honour CACHE_ENABLED, init and connect."""
    s = settings or get_settings()
    if not s.cache_enabled:
        log.info("cache: disabled (CACHE_ENABLED=false)")
        await disconnect_cache()
        return None
    init_cache(CacheConfig.from_settings(s))
    return await connect_cache()


async def open_app_cache(settings: Settings | None = None) -> bool:
    """An application's startup: connect the process's cache unless one is installed already
    (tests install theirs). True when this call opened it, so shutdown should close it."""
    if get_cache() is not None:
        return False
    return await setup_cache_from_settings(settings) is not None


def cache_status() -> str:
    """``ok``, ``disabled`` or ``degraded`` (for /health/ready)."""
    client = get_cache()
    if client is None:
        return "disabled"
    return "ok" if client.available else "degraded"


async def clear_cache_from_settings(settings: Settings | None = None) -> bool:
    """Start a new generation for the configured prefix (O(1)) from a short-lived client: for
    writers that bypass the repositories (the demo seed, bulk scripts) and for tests."""
    s = settings or get_settings()
    if not s.cache_enabled:
        return False
    config = CacheConfig.from_settings(s)
    client = CacheClient(replace(config, socket_timeout=max(config.socket_timeout, 1.0)))
    try:
        return await client.connect() and await client.clear()
    finally:
        await client.close()
