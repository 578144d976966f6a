"""The Redis cache: the process-wide client and its versioned key space.

    config = CacheConfig(host="localhost", port=6379, max_connections=50, socket_timeout=0.05)
    init_cache(config)
    await connect_cache()          # app startup; never raises: no Redis means uncached
    ...
    await disconnect_cache()       # app shutdown

How it stays correct and cheap (the whole model: docs/cache-consistency.md):

* **Random versions, not counters.** Every logical key is covered by version keys (a
  generation, one per whole-segment prefix, one for the key, see ``layout``) holding
  random tokens. A value is stored with the token vector it was computed under; a hit is
  valid only if every version still equals it. A missing version is a miss (and the miss
  creates it afresh), so a lost key, an eviction or a restore can never make an old value
  valid again. Invalidating ``"recruiters:*"`` is one SET (or a DEL) whatever the key space
  holds; a hit is one MGET.
* **No stale refill.** A miss hands back the versions it saw (the *token*) before the database
  is read; the store is refused unless they are unchanged (Lua), and even a value stored
  under old versions is never served (the read-time check).
* **Write intents.** Before COMMIT a unit of work marks the versions it will change (lookups
  miss, stores are refused); after COMMIT fresh tokens replace the marks. A writer that dies
  in between costs ``INTENT_MS`` of cache bypass, never a stale read.
* **Redis identity.** Every new connection compares the server's identity with the one the
  current generation was started on (``identity``); a restarted, restored or promoted Redis
  gets a new generation before any hit is served from it.
* **Refused writes.** A write lease (``liveness``): no hits while writes do not land; a writer
  retries a refused invalidation briefly before it acknowledges.
* **Stampede.** A miss also takes a short ``SET NX PX`` lock, so one process in a herd loads and
  the others wait briefly for its value (in-process herds are coalesced in ``decorators``).
* **Fail-open.** Short socket timeouts, a circuit breaker, and no exception ever leaves the
  cache.
* **Schema version.** Value keys carry ``SCHEMA_VERSION`` and a fingerprint of the cached
  shapes: a deploy that changes a DTO never reads old payloads.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from redis.asyncio import Redis

from slotwise.cache import codec as cache_codec
from slotwise.cache import layout
from slotwise.cache.access import REDIS_ERRORS, RedisAccess
from slotwise.cache.config import CacheConfig
from slotwise.cache.keys import CacheTTL, check_key
from slotwise.cache.layout import (
    CURRENT,
    INTENT,
    LOCK_MS,
    UNAVAILABLE,
    VERSION_TTL_MS,
    KeySet,
    Miss,
    key_set,
    new_token,
)
from slotwise.cache.local import Entry
from slotwise.cache.scripts import STORE
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


def _dep_names(value: bytes, cut: int) -> tuple[str, ...]:
    """The dep keys a value's header (``token;dep=version;...|``) records."""
    end = value.find(b"|", cut)
    items = value[cut + 1 : end].split(b";")
    return tuple(item.rpartition(b"=")[0].decode() for item in items if item)


def _minted(
    seen: list[bytes | None], missing: list[int], replies: list[Any], base: str
) -> list[bytes]:
    """``seen`` with each missing version filled in: what its ``SET NX GET`` found (another
    process won), else the token it set (``<base>m<i>``); ``replies`` in ``missing`` order."""
    current = list(seen)
    for i, found in zip(missing, replies, strict=False):
        current[i] = found if found is not None else f"{base}m{i}".encode()
    return current  # type: ignore[return-value]


class CacheClient(RedisAccess):
    """The process's cache. Every method is fail-open: Redis trouble is a miss or a Failure,
    never an exception."""

    # --- the read-through protocol (used by @cached) ------------------------------------

    async def lookup(
        self, key: str, lock: bool = True, guards: tuple[str, ...] = ()
    ) -> bytes | memoryview | Miss:
        """The payload stored under ``key`` if still valid, else a Miss with a store token.

        One MGET reads the value and every version it depends on: a hit is one round trip
        (two when the value records dep keys, see ``store``). Only a miss takes the lock,
        creates missing versions and reads ``guards`` (a second trip, before the caller
        loads): namespaces (``"dep:recruiter:g7"``) whose versions are checked only at store
        time, so a write of that kind between this miss and the store voids the store, not
        the entries already there."""
        local = self.local_hit(key)
        if local is not None:
            return local.payload
        redis = self._redis
        if redis is None or self.needs_reset or not self.breaker.is_closed:
            redis = await self._ready()
            if redis is None:
                return UNAVAILABLE
        if not self.lease.fresh():
            self.lease.ensure_probing(self)
            await self.lease.renew_now(self)  # no hit unless a write landed just now
        keys = key_set(self.prefix, key, self.shards)
        tier = self.tier
        mark = tier.placeholder() if tier is not None else None
        try:
            sent = self.lease.now()
            try:
                reply: list[bytes | None] = await redis.mget(keys.read)  # type: ignore[assignment]
            except REDIS_ERRORS as exc:
                self._failed(exc)
                return UNAVAILABLE
            self.breaker.record_success()
            if tier is not None:
                tier.measured(self.lease.now() - sent)
            return await self._found(redis, key, keys, guards, reply, lock, mark)
        finally:
            if tier is not None:
                tier.release(mark)

    def local_hit(self, key: str) -> Entry | None:
        """The in-process tier's entry for ``key`` if it may answer now: its fence is fresh,
        and so are the write lease and the connection."""
        tier = self.tier
        if tier is None or self.needs_reset or not self.breaker.is_closed:
            return None
        if not self.lease.fresh():
            return None
        return tier.hit(key)

    async def _found(
        self,
        redis: Redis,
        key: str,
        keys: KeySet,
        guards: tuple[str, ...],
        reply: list[bytes | None],
        lock: bool,
        mark: int | None,
    ) -> bytes | memoryview | Miss:
        """What the MGET's ``reply`` means: a hit (kept in the in-process tier too), or a miss."""
        versions = reply[1:]
        if None not in versions:
            token: bytes = b",".join(versions)  # type: ignore[arg-type]
            if INTENT not in token:  # tokens are hex: "!" only starts an intent
                value = reply[0]
                cut = len(token)
                if value is not None and value.startswith(token) and self.lease.fresh():
                    sep = value[cut : cut + 1]
                    if sep == b"|":
                        payload = memoryview(value)[cut + 1 :]
                        self._fill(key, payload, keys.versions, mark)
                        return payload
                    if sep == b";":
                        found = await self._check_deps(redis, value, cut)
                        if found is not None:
                            deps = (*keys.versions, *_dep_names(value, cut))
                            self._fill(key, found, deps, mark)
                            return found
                if not lock and not guards:
                    return Miss(token.decode())
        return await self._miss(redis, keys, guards, versions, lock)

    def _fill(self, key: str, payload: memoryview, deps: tuple[str, ...], mark: int | None) -> None:
        if mark is not None and self.tier is not None:
            self.tier.local.put(key, bytes(payload), deps, mark)

    async def _miss(
        self,
        redis: Redis,
        keys: KeySet,
        guards: tuple[str, ...],
        seen: list[bytes | None],
        lock: bool,
    ) -> Miss:
        """Create the versions that are missing (fresh tokens, SET NX so the first process
        wins), take the lock and read the guards, in one pipelined trip; the Miss carries what
        is current. A guard holding an intent is passed on as it is: only a store whose deps
        fall in that bucket is refused (``decorators``), other loads stay cacheable."""
        if any(v is not None and v.startswith(INTENT) for v in seen):
            return UNAVAILABLE  # a write is about to commit: neither a hit nor a store
        guard_keys = layout.guard_keys(keys.base, guards) if guards else ()
        missing = [i for i, v in enumerate(seen) if v is None]
        base = new_token()
        lock_id = f"{self._nonce}{next(self._lock_ids)}" if lock else ""
        pipe = redis.pipeline(transaction=False)
        for i in missing:
            pipe.set(keys.versions[i], f"{base}m{i}", nx=True, px=VERSION_TTL_MS, get=True)
        if lock:
            pipe.set(keys.lock, lock_id, nx=True, px=LOCK_MS)
        if guard_keys:
            # By name: a cluster pipeline refuses its ``mget`` method, not the command (the
            # guards share the key's hash tag, so one slot, one node).
            pipe.execute_command("MGET", *guard_keys)
        sent = self.lease.now()
        try:
            replies = await pipe.execute()
            guard_seen = await self._guards(redis, guard_keys, replies[-1] if guard_keys else [])
        except REDIS_ERRORS as exc:
            self._failed(exc)
            return UNAVAILABLE
        self._succeeded(sent)
        current = _minted(seen, missing, replies, base)
        locked = bool(replies[len(missing)]) if lock else False
        if any(v.startswith(INTENT) for v in current):
            return Miss("", locked, lock_id if locked else "")  # only releases the lock
        token = b",".join(current).decode()
        guard = b",".join(guard_seen).decode()
        return Miss(token, locked, lock_id if locked else "", guard)

    @staticmethod
    async def _guards(
        redis: Redis, guard_keys: tuple[str, ...], seen: list[bytes | None]
    ) -> list[bytes]:
        """The guard versions ``seen``, the missing ones created first (fresh tokens, SET NX
        GET): a guard that is missing now and set later must not compare equal."""
        missing = [i for i, v in enumerate(seen) if v is None]
        if not missing:
            return seen  # type: ignore[return-value]
        base = new_token()
        pipe = redis.pipeline(transaction=False)
        for i in missing:
            pipe.set(guard_keys[i], f"{base}m{i}", nx=True, px=VERSION_TTL_MS, get=True)
        return _minted(seen, missing, await pipe.execute(), base)

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
        except REDIS_ERRORS as exc:
            self._failed(exc)
            return None
        for (_, _, version), now in zip(recorded, current, strict=True):
            if now is None or now != version:
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
        if not miss.token and not miss.locked:
            return False
        redis = await self._ready()
        if redis is None:
            return False
        ttl_ms = min(int(ttl), int(CacheTTL.VERY_LONG)) * 1000
        storing = data is not None and bool(miss.token)
        keys = key_set(self.prefix, key, self.shards)
        guard_keys = layout.guard_keys(keys.base, guards) if storing and guards else ()
        dep_keys = layout.dep_keys(keys.base, deps) if storing else ()
        budget = (keys.budget,) if storing and keys.budget else ()
        args = (
            miss.token if storing else "",
            data or b"",
            ttl_ms,
            miss.lock_id,
            miss.guard,
            len(keys.versions),
            len(guard_keys),
            len(dep_keys),
            new_token(),
            keys.cap if budget else 0,
            VERSION_TTL_MS,
        )
        names = (keys.value, *keys.versions, keys.lock, *guard_keys, *dep_keys, *budget)
        sent = self.lease.now()
        try:
            stored = await self._run(self._store.sha, STORE, names, args)
        except REDIS_ERRORS as exc:
            self._failed(exc)
            return False
        self._succeeded(sent)
        return bool(stored)

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
        stored = await self.store(check_key(key), CURRENT, data, ttl or self.config.default_ttl)
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
        except REDIS_ERRORS as exc:
            self._failed(exc)
            return False
        self._succeeded()
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
