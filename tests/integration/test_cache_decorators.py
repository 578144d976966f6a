"""``@cached`` / ``@invalidate_cache`` on their own: placeholders, escaping, patterns in O(1),
stampedes, undecodable payloads, and running without Redis."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace

import pytest

from slotwise.cache import client as cache_module
from slotwise.cache.client import CacheClient, CacheConfig, setup_cache_from_settings
from slotwise.cache.config import build_redis
from slotwise.cache.decorators import cached, invalidate_cache
from slotwise.cache.layout import key_set
from slotwise.repositories import UnitOfWork
from slotwise.repositories.cache_keys import CacheKeys
from slotwise.result import Failure, NotFoundError, Result, Success
from slotwise.settings import Settings
from tests import servers
from tests.plugins.cache import cache_config_for_tests

pytestmark = pytest.mark.usefixtures("cache")


class Counter:
    """A fake repository: values in a dict, loads counted, an optional delay per load."""

    def __init__(self, delay: float = 0.0) -> None:
        self.values: dict[str, str] = {}
        self.loads = 0
        self.delay = delay
        self.tenant = "acme"

    @cached(key_builder="item:{arg1}")
    async def get(self, name: str) -> Result[str, NotFoundError]:
        self.loads += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if name not in self.values:
            return Failure(NotFoundError("item", name))
        return Success(self.values[name])

    @cached(key_builder="items:{self.tenant}:{prefix}")
    async def find(self, prefix: str) -> Result[str, NotFoundError]:
        self.loads += 1
        return Success(",".join(sorted(k for k in self.values if k.startswith(prefix))))

    @invalidate_cache("item:{arg1}", "items:*")
    async def put(self, name: str, value: str) -> Result[str, NotFoundError]:
        self.values[name] = value
        return Success(value)


async def test_template_keys_cache_and_invalidate() -> None:
    repo = Counter()
    await repo.put("a", "1")
    assert await repo.get("a") == Success("1")
    assert await repo.get("a") == Success("1")
    assert repo.loads == 1
    await repo.put("a", "2")
    assert await repo.get("a") == Success("2")
    assert await repo.find("a") == Success("a")
    await repo.put("ab", "3")  # "items:*" drops every listing of every tenant
    assert await repo.find("a") == Success("a,ab")


async def test_failures_are_not_cached() -> None:
    repo = Counter()
    assert isinstance(await repo.get("missing"), Failure)
    assert isinstance(await repo.get("missing"), Failure)
    assert repo.loads == 2


async def test_a_crafted_value_cannot_read_or_invalidate_other_keys(cache: CacheClient) -> None:
    repo = Counter()
    repo.values.update({"a": "1", "*": "star", "a:*": "x"})
    assert await repo.get("a") == Success("1")
    loads = repo.loads
    await repo.put("*", "star")  # must not widen to "item:*"
    await repo.put("a:*", "x")  # must not become the pattern "item:a:*"
    await repo.put("a:b", "y")
    assert await repo.get("a") == Success("1")
    assert repo.loads == loads  # still a hit
    # and the crafted values have keys of their own, distinct from every other key
    assert await repo.get("a:*") == Success("x")
    assert await repo.get("*") == Success("star")
    crafted = CacheKeys.user_by_telegram("1:*")  # type: ignore[arg-type]  # a str on purpose
    assert crafted not in {CacheKeys.user_by_telegram(1), "user:*"}


async def test_patterns_drop_their_namespace_only(cache: CacheClient) -> None:
    for key in ("recruiter:1", "recruiters:active", "slots:free:recruiter:1:after:x",
                "slots:free:recruiter:2:after:x"):  # fmt: skip
        assert await cache.set(key, key) == Success(True)
    assert await cache.invalidate("recruiters:*", CacheKeys.slots_free_pattern(1))
    assert await cache.get("recruiters:active") == Success(None)
    assert await cache.get("slots:free:recruiter:1:after:x") == Success(None)
    assert await cache.get("recruiter:1") == Success("recruiter:1")
    assert await cache.get("slots:free:recruiter:2:after:x") == Success(
        "slots:free:recruiter:2:after:x"
    )
    assert await cache.clear()
    assert await cache.get("recruiter:1") == Success(None)


async def test_patterns_that_would_need_a_scan_are_refused() -> None:
    for bad in ("recruit*", "*:active", "recruiters:*:x"):
        with pytest.raises(ValueError):
            invalidate_cache(bad)


async def test_one_load_for_100_concurrent_misses(cache: CacheClient) -> None:
    """In one process the misses share one flight (the cross-process lock is switched off
    here by not waiting for it, so only the single-flight can make this one load)."""
    in_process_only = CacheClient(replace(cache.config, lock_wait=0.0), cache.redis)
    cache_module.install_cache(in_process_only)
    repo = Counter(delay=0.05)
    repo.values["hot"] = "v"
    results = await asyncio.gather(*(repo.get("hot") for _ in range(100)))
    assert results == [Success("v")] * 100
    assert repo.loads == 1
    cache_module.install_cache(cache)


async def test_one_load_across_processes_sharing_redis(cache: CacheClient) -> None:
    """Two clients with their own in-process state stand for two worker processes: the
    second waits on the first's lock and gets its value."""
    other = CacheClient(cache.config, cache.redis)
    repo_a, repo_b = Counter(delay=0.05), Counter(delay=0.05)
    repo_a.values["hot"] = repo_b.values["hot"] = "v"

    async def via(client: CacheClient, repo: Counter) -> Result[str, NotFoundError]:
        cache_module.install_cache(client)
        return await repo.get("hot")

    first = asyncio.create_task(via(cache, repo_a))
    redis = cache.redis
    assert redis is not None
    lock = key_set(cache.prefix, "item:hot").lock
    for _ in range(5000):  # until A holds the lock and is loading
        if await redis.exists(lock):
            break
        await asyncio.sleep(0.002)
    second = await via(other, repo_b)
    assert await first == second == Success("v")
    assert repo_a.loads + repo_b.loads == 1
    cache_module.install_cache(cache)


async def test_an_undecodable_payload_is_a_miss(cache: CacheClient) -> None:
    repo = Counter()
    repo.values["a"] = "1"
    await repo.get("a")
    redis = cache.redis
    assert redis is not None
    [value_key] = [k async for k in redis.scan_iter(match=f"{cache.prefix}:c*:item:a")]
    stored = await redis.get(value_key)
    assert isinstance(stored, bytes)
    header = stored.split(b"|", 1)[0]
    await redis.set(value_key, header + b"|\xc1garbage")
    assert await repo.get("a") == Success("1")
    assert repo.loads == 2


async def test_add_resolves_the_new_id_after_the_flush(
    cache: CacheClient, make_uow: Callable[[], UnitOfWork]
) -> None:
    from tests.integration import foundation_data as fd

    async with make_uow() as uow:
        city = await fd.city(uow, "Kazan")
        await uow.commit()
    async with make_uow() as uow:
        assert fd.ok(await uow.cities.get(city.id)).name == "Kazan"
        assert uow.info.get("cache.dirty", set()) == set()  # a read dirties nothing
        new_city = await fd.city(uow, "Omsk")
        assert uow.info["cache.dirty"] == {"cities:*", CacheKeys.city(new_city.id)}
        await uow.commit()


# --- without Redis ---------------------------------------------------------------------------


async def test_no_redis_reachable_runs_uncached_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = replace(
        cache_config_for_tests(),
        url=f"redis://127.0.0.1:{servers.free_port()}/0",
        connect_timeout=0.05,
    )
    dead = CacheClient(config, build_redis(config))  # the production client, nothing listening
    cache_module.install_cache(dead)
    repo = Counter()
    repo.values["a"] = "1"
    with caplog.at_level(logging.WARNING, logger="slotwise.cache"):
        results = [await repo.get("a") for _ in range(20)]
        await repo.put("a", "2")
        assert await repo.get("a") == Success("2")
    assert results == [Success("1")] * 20
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "unavailable" in warnings[0].getMessage()
    assert dead.needs_reset  # when Redis comes back, a new generation first
    await dead.close()


async def test_cache_enabled_false_runs_uncached() -> None:
    settings = Settings(cache_enabled=False)
    assert await setup_cache_from_settings(settings) is None
    assert cache_module.get_cache() is None
    repo = Counter()
    repo.values["a"] = "1"
    await repo.get("a")
    await repo.get("a")
    assert repo.loads == 2


async def test_config_from_settings_reads_the_document_variables() -> None:
    settings = Settings(
        redis_host="cachehost", redis_port=6380, redis_db=2, redis_max_connections=7,
        redis_url=None, cache_default_ttl_seconds=99,
    )  # fmt: skip
    config = CacheConfig.from_settings(settings)
    assert (config.host, config.port, config.db, config.max_connections) == (
        "cachehost", 6380, 2, 7,
    )  # fmt: skip
    assert config.default_ttl == 99 and config.url is None


# --- the document's set-up examples ----------------------------------------------------------


async def test_document_startup_and_shutdown(cache: CacheClient) -> None:
    config = replace(cache_config_for_tests(), max_connections=50, socket_timeout=5.0)
    cache_module.init_cache(config)
    connected = await cache_module.connect_cache()
    assert connected is not None and cache_module.get_cache() is connected
    repo = Counter()
    repo.values["a"] = "1"
    await repo.get("a")
    await repo.get("a")
    assert repo.loads == 1
    assert await connected.invalidate("*")
    redis = connected.redis
    assert redis is not None
    await redis.delete(f"{config.key_prefix}:gen")  # leave a shared Redis clean
    await cache_module.disconnect_cache()
    assert cache_module.get_cache() is None
    cache_module.install_cache(cache)


async def test_document_fake_redis_option(cache: CacheClient) -> None:
    import fakeredis.aioredis

    client = CacheClient(cache_config_for_tests())
    client._client = fakeredis.aioredis.FakeRedis()
    cache_module.install_cache(client)
    repo = Counter()
    repo.values["a"] = "1"
    assert [await repo.get("a") for _ in range(3)] == [Success("1")] * 3
    assert repo.loads == 1
    cache_module.install_cache(cache)
