"""Cache micro-benchmark (issue 5): what a hit costs, what an invalidation costs, what a hit saves.

``run(...)`` returns a dict of figures (``python3 dev.py bench`` calls it and prints the table):

* ``hit``: one cached call per iteration, side by side in interleaved rounds: a raw redis-py
  ``GET`` of the same bytes + msgspec decode (the floor), ``@cached`` (one Lua round trip that
  also checks the versions), cashews ``@cache`` and aiocache ``@cached`` doing the same job.
  Target: ``@cached`` <= 1.2x the raw GET. Done for a small scalar and for an ORM entity (a
  recruiter with cities, rebuilt on each hit; the raw variant rebuilds it the same way).
* ``invalidation``: ``invalidate("recruiters:*")`` on a Redis holding ``unrelated_keys`` other
  keys vs an empty one (target ratio <= 1.5), and for contrast the document's way (a SCAN for
  the pattern, then DEL) on both.
* ``db_vs_cache``: ``uow.recruiters.get(id)`` through the database vs a cache hit.

Not a test: nothing here asserts; the figures are ratios measured in the same run.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from slotwise.cache import client as cache_module
from slotwise.cache import codec as cache_codec
from slotwise.cache.client import CacheClient
from slotwise.cache.config import CacheConfig, build_redis
from slotwise.cache.decorators import cached
from slotwise.domain.models import City, Recruiter
from slotwise.repositories import UnitOfWork
from slotwise.result import Result, Success

Call = Callable[[], Awaitable[Any]]

_TEXT = "Anna Petrova, senior recruiter; Moscow, Kazan; https://meet.example/anna " * 4


def _recruiter() -> Recruiter:
    cities = [
        City(
            id=i,
            name=f"City {i}",
            timezone="Europe/Moscow",
            active=True,
            responsible_recruiter_id=None,
        )
        for i in (1, 2)
    ]
    return Recruiter(id=7, name="Anna", timezone="UTC", active=True, cities=cities,
                     telegram_chat_id=None, meeting_url="https://meet.example/anna")  # fmt: skip


class _Source:
    """What the decorator wraps: a function that would go to the database on a miss."""

    def __init__(self, value: object) -> None:
        self.value = value

    @cached(key_builder=lambda self, ident: f"bench:item:{ident}")
    async def get(self, ident: int) -> Result[object, Any]:
        return Success(self.value)


async def per_call_us(call: Call, n: int) -> float:
    """Mean µs of ``n`` calls in a row."""
    start = time.perf_counter()
    for _ in range(n):
        await call()
    return (time.perf_counter() - start) / n * 1e6


async def _rounds(variants: dict[str, Call], n: int, rounds: int) -> dict[str, Any]:
    """Median per-call microseconds of each variant, rounds interleaved (drift cancels)."""
    for call in variants.values():  # warm up: connections, script cache, first misses
        for _ in range(20):
            await call()
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, call in variants.items():
            samples[name].append(await per_call_us(call, n))
    return {
        name: {"median_us": statistics.median(v), "min_us": min(v), "rounds": len(v)}
        for name, v in samples.items()
    }


def _ratios(timings: dict[str, Any], base: str) -> dict[str, float]:
    floor = timings[base]["median_us"]
    return {name: round(t["median_us"] / floor, 3) for name, t in timings.items()}


# --- hit cost ---------------------------------------------------------------------------------


def _raw_get(redis: Redis, key: str, decode: Callable[[bytes], object]) -> Call:
    async def call() -> object:
        data = await redis.get(key)
        assert isinstance(data, bytes)
        return decode(data)

    return call


def _competitors(redis_url: str, prefix: str, value: str) -> tuple[dict[str, Call], list[Any]]:
    """cashews and aiocache decorators on the same value (if installed: the ``bench`` extra)."""
    calls: dict[str, Call] = {}
    closers: list[Any] = []
    try:
        from cashews import Cache as CashewsCache

        cashews = CashewsCache()
        cashews.setup(redis_url, client_side=False)

        @cashews(ttl="1h", key=f"{prefix}:cw:item:{{ident}}")
        async def cashews_get(ident: int) -> str:
            return value

        calls["cashews"] = lambda: cashews_get(1)
        closers.append(cashews.close)
    except ImportError:
        pass
    try:
        from urllib.parse import urlsplit

        from aiocache import Cache as AioCache
        from aiocache import cached as aio_cached

        url = urlsplit(redis_url)
        db = int((url.path or "/0").strip("/") or 0)

        # ttl as a float: aiocache then writes with PSETEX (the same hour); an int takes
        # redis-py's deprecated SETEX and warns
        @aio_cached(  # type: ignore[untyped-decorator]
ttl=3600.0, cache=AioCache.REDIS, endpoint=url.hostname or "127.0.0.1",
                    port=url.port or 6379, db=db, namespace=f"{prefix}aio",
                    key_builder=lambda f, ident: f"item:{ident}")  # fmt: skip
        async def aiocache_get(ident: int) -> str:
            return value

        calls["aiocache"] = lambda: aiocache_get(1)
    except ImportError:
        pass
    return calls, closers


def _using(client: CacheClient, call: Call) -> Call:
    """``call`` with ``client`` as the process's cache (two clients measured side by side)."""

    async def run() -> object:
        cache_module.install_cache(client)
        return await call()

    return run


async def _fenced(client: CacheClient) -> None:
    """Until the client's in-process tier may answer (its tracking connection fenced)."""
    assert client.tier is not None
    async with asyncio.timeout(10):
        while not client.tier.usable():  # noqa: ASYNC110 - state of another task
            await asyncio.sleep(0.01)


async def hit_cost(redis_url: str, prefix: str, n: int, rounds: int) -> dict[str, Any]:
    config = replace(CacheConfig.from_settings(), url=redis_url, key_prefix=prefix)
    client = CacheClient(replace(config, l1_enabled=True), build_redis(config))
    redis_only = CacheClient(replace(config, l1_enabled=False), build_redis(config))
    # The floor's own client: the product's 50 ms read timeout turns a stall of a busy shared
    # machine into a failed scenario (the cache degrades instead); the timeout costs nothing.
    raw = build_redis(replace(config, socket_timeout=max(config.socket_timeout, 5.0)))
    previous = cache_module.get_cache()
    cache_module.install_cache(client)
    figures: dict[str, Any] = {}
    try:
        assert await client.connect() and await redis_only.connect()
        await _fenced(client)
        for label, value, decode in (
            ("scalar", _TEXT, cache_codec.decode),
            ("entity", _recruiter(), lambda b: cache_codec.materialize(
                cache_codec.decode(b), None)),
        ):  # fmt: skip
            ident = 1 if label == "scalar" else 2
            source = _Source(value)
            await source.get(ident)  # miss + store
            raw_key = f"{prefix}:raw:{label}"
            await raw.set(raw_key, cache_codec.encode(value))
            variants: dict[str, Call] = {
                "raw_get_decode": _raw_get(raw, raw_key, decode),
                # The product: a hit from the in-process tier (filled by the miss above).
                "cached_decorator": _using(client, lambda s=source, i=ident: s.get(i)),  # type: ignore[misc]
                # The same decorator with the tier off: every hit is a Redis round trip.
                "cached_decorator_redis_hit": _using(
                    redis_only,
                    lambda s=source, i=ident: s.get(i),  # type: ignore[misc]
                ),
            }
            closers: list[Any] = []
            if label == "scalar":
                extra, closers = _competitors(redis_url, prefix, _TEXT)
                variants.update(extra)
            timings = await _rounds(variants, n, rounds)
            figures[label] = {
                "timings": timings,
                "ratio_to_raw": _ratios(timings, "raw_get_decode"),
            }
            for close in closers:
                await close()
        figures["target"] = (
            "cached_decorator (an in-process tier hit) <= 5 us and cheaper than aiocache; "
            "cached_decorator_redis_hit <= 1.2x raw_get_decode"
        )
        assert client.tier is not None
        figures["tier_hits"] = client.tier.local.hits
    finally:
        cache_module.install_cache(previous)
        await client.close()
        await redis_only.close()
        await raw.aclose()
    return figures


# --- invalidation -----------------------------------------------------------------------------

_FILL = """
for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do redis.call('SET', 'junk:' .. i, 'x') end
return 1
"""


async def _fill(redis: Redis, count: int) -> None:
    fill = redis.register_script(_FILL)
    step = 50_000
    for start in range(1, count + 1, step):
        await fill(args=[start, min(start + step - 1, count)])


async def _invalidation_us(client: CacheClient, n: int) -> float:
    return await per_call_us(lambda: client.invalidate("recruiters:*"), n)


async def _scan_delete_ms(redis: Redis, pattern: str) -> float:
    start = time.perf_counter()
    keys = [k async for k in redis.scan_iter(match=pattern, count=1000)]
    if keys:
        await redis.delete(*keys)
    return (time.perf_counter() - start) * 1e3


async def invalidation(private_redis_url: str, unrelated_keys: int, n: int) -> dict[str, Any]:
    """db 1 holds ``unrelated_keys`` junk keys, db 0 is empty; same server, same prefix."""
    base = CacheConfig(url=private_redis_url, key_prefix="inv")
    full_url = private_redis_url.rsplit("/", 1)[0] + "/1"
    empty = CacheClient(replace(base, url=private_redis_url.rsplit("/", 1)[0] + "/0"))
    full = CacheClient(replace(base, url=full_url))
    # Filling and scanning a million keys takes seconds: a patient client of their own.
    admin_full = Redis.from_url(full_url, socket_timeout=120)
    admin_empty = Redis.from_url(private_redis_url.rsplit("/", 1)[0] + "/0", socket_timeout=120)
    try:
        assert await empty.connect() and await full.connect()
        await _fill(admin_full, unrelated_keys)
        for client in (empty, full):
            await client.set("recruiters:active", "x")
        samples: dict[str, list[float]] = {"empty": [], "full": []}
        for _ in range(7):
            samples["empty"].append(await _invalidation_us(empty, n))
            samples["full"].append(await _invalidation_us(full, n))
        ours = {k: statistics.median(v) for k, v in samples.items()}
        scan = {
            "empty": await _scan_delete_ms(admin_empty, "inv:*recruiters:*"),
            "full": await _scan_delete_ms(admin_full, "inv:*recruiters:*"),
        }
        return {
            "unrelated_keys": int(await admin_full.dbsize()),
            "invalidate_us": {k: round(v, 1) for k, v in ours.items()},
            "ratio_full_vs_empty": round(ours["full"] / ours["empty"], 3),
            "target": "ratio <= 1.5",
            "scan_and_delete_ms (the document's way)": {k: round(v, 2) for k, v in scan.items()},
        }
    finally:
        await empty.close()
        await full.close()
        await admin_full.aclose()
        await admin_empty.aclose()


# --- database vs cache ------------------------------------------------------------------------


async def db_vs_cache(
    session_factory: async_sessionmaker[AsyncSession],
    redis_url: str,
    prefix: str,
    recruiter_id: int,
    n: int,
    rounds: int,
) -> dict[str, Any]:
    config = replace(CacheConfig.from_settings(), url=redis_url, key_prefix=prefix)
    client = CacheClient(config, build_redis(config))
    previous = cache_module.get_cache()
    assert await client.connect()

    async def through(cache: CacheClient | None) -> None:
        cache_module.install_cache(cache)
        async with UnitOfWork(session_factory, read_only=True) as uow:
            found = await uow.recruiters.get(recruiter_id)
        assert isinstance(found, Success)

    try:
        timings = await _rounds(
            {"cache_hit": lambda: through(client), "database": lambda: through(None)}, n, rounds
        )
    finally:
        cache_module.install_cache(previous)
        await client.close()
    return {
        "timings": timings,
        "database_vs_hit": round(
            timings["database"]["median_us"] / timings["cache_hit"]["median_us"], 2
        ),
    }


async def run(
    redis_url: str,
    private_redis_url: str | None = None,
    session_factory: async_sessionmaker[AsyncSession] | None = None,
    recruiter_id: int | None = None,
    quick: bool = False,
    unrelated_keys: int = 1_000_000,
    prefix: str | None = None,
) -> dict[str, Any]:
    """Every figure above; parts whose inputs are missing are left out (and say so)."""
    prefix = f"{prefix or 'bench'}:ch{uuid.uuid4().hex[:6]}"
    n, rounds = (300, 5) if quick else (2000, 9)
    out: dict[str, Any] = {"hit": await hit_cost(redis_url, prefix, n, rounds)}
    if private_redis_url:
        out["invalidation"] = await invalidation(private_redis_url, unrelated_keys, n)
    else:
        out["invalidation"] = "skipped: needs a private Redis (private_redis_url)"
    if session_factory is not None and recruiter_id is not None:
        out["db_vs_cache"] = await db_vs_cache(
            session_factory, redis_url, prefix, recruiter_id, n // 4, rounds
        )
    else:
        out["db_vs_cache"] = "skipped: needs session_factory and recruiter_id"
    await _forget(redis_url, prefix)
    return out


async def _forget(redis_url: str, prefix: str) -> None:
    """Delete this run's keys (ours, the raw ones, cashews' and aiocache's): a benchmark
    leaves the shared Redis as it found it."""
    redis = Redis.from_url(redis_url, socket_timeout=30)
    try:
        await _scan_delete_ms(redis, f"{prefix}*")
    finally:
        await redis.aclose()


if __name__ == "__main__":  # python -m bench.cache_hit redis://127.0.0.1:6379/3
    import json
    import sys

    private = sys.argv[2] if len(sys.argv) > 2 else None
    print(json.dumps(asyncio.run(run(sys.argv[1], private)), indent=2))
