"""``RedisAccess``: the cache client's connection, breaker, write lease and version writes.

Everything that changes version keys lives here (write intents, invalidation, a new
generation); the read-through protocol on top of it is ``client.CacheClient``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
from collections.abc import Iterable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import (
    NoScriptError,
    OutOfMemoryError,
    RedisClusterException,
    RedisError,
    ResponseError,
)

from slotwise.cache import layout, refresh
from slotwise.cache.breaker import CircuitBreaker
from slotwise.cache.config import CacheConfig, make_redis
from slotwise.cache.flight import SingleFlight
from slotwise.cache.layout import INTENT_MS, VERSION_TTL_MS, new_token
from slotwise.cache.liveness import WRITER_PATIENCE, WriteLease
from slotwise.cache.scripts import INTENT as INTENT_SCRIPT
from slotwise.cache.scripts import INVALIDATE, STORE
from slotwise.cache.shards import group_by_slot
from slotwise.cache.tier import TierControl
from slotwise.cache.topology import one_per_node, refresh_after

log = logging.getLogger("slotwise.cache")

# RedisCluster raises RedisClusterException (not a RedisError) for slots it cannot route.
REDIS_ERRORS: tuple[type[BaseException], ...] = (
    RedisError,
    RedisClusterException,
    OSError,
    TimeoutError,
)
_RETRY_EVERY = 0.05


def _is_oom(exc: BaseException) -> bool:
    """Redis is full and refuses writes that may grow it (``noeviction``); DEL still works."""
    return isinstance(exc, OutOfMemoryError) or (
        isinstance(exc, ResponseError) and "maxmemory" in str(exc)
    )


class Intents(tuple[str, ...]):
    """The version keys one writer marked, and the id its entries carry there (so it releases
    its own and nobody else's; see ``scripts``)."""

    writer: str

    def __new__(cls, keys: Iterable[str], writer: str) -> Intents:
        self = super().__new__(cls, keys)
        self.writer = writer
        return self


class RedisAccess:
    """Fail-open access to Redis: Redis trouble is a False or None, never an exception."""

    def __init__(self, config: CacheConfig, redis: Redis | None = None) -> None:
        self.config = config
        self.prefix = config.key_prefix
        #: Key shards: each one cluster slot (``shards``); 1 on one Redis.
        self.shards = config.shards
        self.breaker = CircuitBreaker(config.breaker_threshold, config.breaker_reset_after)
        self.lease = WriteLease()
        self._redis: Redis | None = redis
        #: In-process loads in progress (concurrent misses of one key share one).
        self.flights = SingleFlight()
        self._nonce = new_token()[:12]
        self._lock_ids = itertools.count()
        #: An invalidation may have been lost (or Redis was out): start a new generation
        #: before the next use.
        self.needs_reset = False
        #: The in-process tier (``tier``), when configured; started by ``connect``.
        # The tier's tracking connection follows one TCP Redis: under Cluster or Sentinel it
        # would not see every node's invalidations (or the new primary's), so it stays off.
        tiered = config.l1_enabled and config.mode == "standalone"
        self.tier: TierControl | None = TierControl(config) if tiered else None
        if redis is not None:
            self._bind_scripts(redis)

    # --- connection ---------------------------------------------------------------------

    def _bind_scripts(self, redis: Redis) -> None:
        self._store = redis.register_script(STORE)
        self._intent = redis.register_script(INTENT_SCRIPT)
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
        except REDIS_ERRORS as exc:
            self.breaker.force_open(type(exc).__name__)
            self.needs_reset = True
            return False
        self.lease.ensure_probing(self)
        if self.tier is not None:
            self.tier.start(self._redis)
        return True

    async def close(self) -> None:
        refresh.cancel()
        await self.lease.stop()
        if self.tier is not None:
            await self.tier.stop()
        if self._redis is not None:
            redis, self._redis = self._redis, None
            try:
                await redis.aclose()
            except REDIS_ERRORS:
                log.debug("cache: closing the pool failed", exc_info=True)

    @property
    def available(self) -> bool:
        """True when calls currently go to Redis (breaker closed, nothing to reset)."""
        return self._redis is not None and self.breaker.is_closed and not self.needs_reset

    # --- guarded access -----------------------------------------------------------------

    def _failed(self, exc: BaseException) -> None:
        refresh_after(self._redis, exc)
        if self.breaker.record_failure(type(exc).__name__):
            self.needs_reset = True

    def _succeeded(self, sent: float | None = None) -> None:
        """A call answered (closes a half-open breaker); ``sent``: it was a write that landed."""
        self.breaker.record_success()
        if sent is not None and self.lease.renew(sent):
            self.needs_reset = True
            log.info("cache: writes resumed after a gap; a new generation first")

    async def _ready(self) -> Redis | None:
        """The client if a call may go to Redis now (after a reset if one is owed)."""
        redis = self._redis
        if redis is None or not self.breaker.allow():
            return None
        if self.needs_reset:
            if not await self._new_generation(redis):
                return None
            log.info("cache: started a new generation; entries from before are ignored")
        return redis

    async def _new_generation(self, redis: Redis) -> bool:
        self.needs_reset = False
        if self.tier is not None:
            self.tier.clear()
        if await self._set_versions(redis, layout.gen_keys(self.prefix, self.shards), ""):
            return True
        self.needs_reset = True
        return False

    async def probe(self) -> None:
        """One write that must land (see ``liveness``); the lease and the breaker learn of it."""
        redis = self._redis
        if redis is None:
            return
        sent = self.lease.now()
        try:
            await redis.delete(*one_per_node(redis, layout.probe_keys(self.prefix, self.shards)))
        except REDIS_ERRORS as exc:
            self._failed(exc)
            return
        self._succeeded(sent)

    async def _run(self, sha: str, script: str, keys: tuple[str, ...], args: Iterable[Any]) -> Any:
        assert self._redis is not None
        try:
            return await self._redis.evalsha(sha, len(keys), *keys, *args)
        except NoScriptError:
            await self._redis.script_load(script)
            return await self._redis.evalsha(sha, len(keys), *keys, *args)

    async def _run_per_slot(
        self,
        sha: str,
        script: str,
        keys: tuple[str, ...],
        args: tuple[Any, ...],
    ) -> None:
        """Run a version-writing script over ``keys``: once on one Redis; on a cluster once
        per slot (each run atomic in its slot), all in one pipeline (a trip per node, in
        parallel)."""
        groups = group_by_slot(keys) if self.shards > 1 else [list(range(len(keys)))]
        if len(groups) == 1:
            await self._run(sha, script, keys, args)
            return
        assert self._redis is not None
        pipe = self._redis.pipeline(transaction=False)
        for group in groups:
            names = [keys[i] for i in group]
            pipe.eval(script, len(names), *names, *args)
        await pipe.execute()

    # --- invalidation -------------------------------------------------------------------

    def version_keys(self, targets: Iterable[str]) -> tuple[str, ...]:
        """The version keys behind ``targets`` (keys, ``"ns:*"`` patterns, ``"*"``)."""
        found: dict[str, None] = {}
        for target in targets:
            found.update(dict.fromkeys(layout.version_keys(self.prefix, target, self.shards)))
        return tuple(found)

    async def mark_intents(self, targets: Iterable[str]) -> tuple[str, ...]:
        """Before COMMIT: mark the versions ``targets`` will change as being written (lookups
        miss, stores are refused for ``INTENT_MS``, this writer's own deadline). The keys
        marked, with this writer's id; () when Redis refused (out of memory: the versions are
        deleted instead, which also makes lookups miss)."""
        keys = self.version_keys(targets)
        redis = self._redis
        if not keys or redis is None or not self.breaker.allow():
            return ()
        writer = secrets.token_hex(6)
        if self.tier is not None:
            self.tier.written(keys)
        sent = self.lease.now()
        try:
            await self._run_per_slot(self._intent.sha, INTENT_SCRIPT, keys, (INTENT_MS, writer))
        except REDIS_ERRORS as exc:
            self._failed(exc)
            if _is_oom(exc):
                await self._delete(redis, keys)
            return ()
        self._succeeded(sent)
        return Intents(keys, writer)

    async def invalidate(
        self,
        *targets: str,
        intents: tuple[str, ...] = (),
        patience: float = WRITER_PATIENCE,
        commit_wait: bool = True,
    ) -> bool:
        """Make every key matching ``targets`` (keys, ``"ns:*"`` patterns, ``"*"``) a miss, and
        release the ``intents`` this writer marked (what ``mark_intents`` returned).

        O(1) per target whatever the key space holds. A refused or stalled write is retried
        for ``patience`` seconds (the caller acknowledges its write only after this); when
        Redis cannot be told, the client owes a new generation before it serves anything."""
        keys = self.version_keys(targets)
        if not keys:
            return True
        writer = intents.writer if isinstance(intents, Intents) else ""
        redis = self._redis
        if redis is None:
            self.needs_reset = True
            return False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + patience
        tier = self.tier
        if tier is not None:
            tier.written(keys)  # this process's own entries go before anything else
        while True:
            retryable: list[bool] = []
            if await self._set_versions(redis, keys, writer, retryable):
                if tier is not None:
                    tier.written(keys)  # and whatever was filled while the write was in flight
                    if commit_wait:  # False: nothing is acknowledged (a benchmark's setup)
                        await tier.commit_wait()
                return True
            if not retryable or loop.time() >= deadline:
                self.needs_reset = True
                if tier is not None:
                    tier.clear()
                return False
            await asyncio.sleep(_RETRY_EVERY)

    async def commit_wait(self) -> None:
        """What ``invalidate(commit_wait=True)`` waits after its versions landed: every
        process's in-process tier has applied them, or stopped answering (``tier``)."""
        if self.tier is not None:
            await self.tier.commit_wait()

    async def _set_versions(
        self, redis: Redis, keys: tuple[str, ...], writer: str, retryable: list[bool] | None = None
    ) -> bool:
        """Fresh tokens on ``keys``, ``writer``'s intents released (DEL when Redis is out of
        memory: allowed there too)."""
        sent = self.lease.now()
        args = (new_token(), VERSION_TTL_MS, writer, INTENT_MS)
        try:
            await self._run_per_slot(self._invalidate.sha, INVALIDATE, keys, args)
        except REDIS_ERRORS as exc:
            self._failed(exc)
            if _is_oom(exc):
                return await self._delete(redis, keys)
            if retryable is not None and not isinstance(exc, RedisConnectionError):
                retryable.append(True)  # refused or stalled, not gone: worth another try
            return False
        self._succeeded(sent)
        return True

    async def _delete(self, redis: Redis, keys: tuple[str, ...]) -> bool:
        sent = self.lease.now()
        try:
            await redis.delete(*keys)
        except REDIS_ERRORS as exc:
            self._failed(exc)
            return False
        self._succeeded(sent)
        return True

    async def clear(self) -> bool:
        """Invalidate everything under this prefix (a new generation): O(1)."""
        return await self.invalidate("*")
