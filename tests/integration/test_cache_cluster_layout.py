"""The cache's key layout for Redis Cluster, on fakeredis that refuses what a cluster refuses:
a multi-key command or script whose keys are not in one hash slot.

With ``REDIS_MODE=cluster`` the key space is cut into shards (``slotwise.cache.shards``): every
lookup, store, lock and script stays in one slot, invalidations write every shard's copy, and
the keys of many logical keys spread over all shards.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import fakeredis
import pytest
from redis.crc import key_slot
from redis.exceptions import RedisClusterException

from slotwise.cache.client import CacheClient
from slotwise.cache.decorators import cached, invalidate_cache
from slotwise.cache.shards import CLUSTER_SHARDS, shard_slot
from slotwise.result import Result, Success
from tests.plugins.cache import FAKE_SERVER, cache_config_for_tests, installed

MULTI_KEY = {"MGET", "MSET", "EVAL", "EVALSHA"}


def _keys(args: tuple[Any, ...]) -> list[Any]:
    name = str(args[0]).upper()
    if name in {"EVAL", "EVALSHA"}:
        return list(args[3 : 3 + int(args[2])])
    if name == "MGET":
        return list(args[1:])
    if name == "MSET":
        return list(args[1::2])
    return []


def _check(args: tuple[Any, ...]) -> None:
    keys = _keys(args)
    slots = {key_slot(k.encode() if isinstance(k, str) else k) for k in keys}
    if len(slots) > 1:
        raise RedisClusterException(f"{args[0]} - all keys must map to the same key slot")


class ClusterLikeRedis(fakeredis.FakeAsyncRedis):
    """fakeredis that raises, as a cluster client would, on a cross-slot command."""

    seen: Counter[int]

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        if str(args[0]).upper() in MULTI_KEY:
            _check(args)
        touched = _keys(args) or ([args[1]] if str(args[0]).upper() == "SET" else [])
        for key in touched:
            self.seen[key_slot(key.encode() if isinstance(key, str) else key)] += 1
        return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Any:
        pipe = super().pipeline(transaction, shard_hint)
        original = pipe.pipeline_execute_command

        def checked(*args: Any, **options: Any) -> Any:
            if str(args[0]).upper() in MULTI_KEY:
                _check(args)
            return original(*args, **options)  # type: ignore[no-untyped-call]

        pipe.pipeline_execute_command = checked  # type: ignore[method-assign]
        return pipe


@pytest.fixture
async def cluster_cache() -> AsyncIterator[CacheClient]:
    redis = ClusterLikeRedis(server=FAKE_SERVER)
    redis.seen = Counter()
    config = replace(cache_config_for_tests(), mode="cluster")
    client = CacheClient(config, redis)
    assert client.shards == CLUSTER_SHARDS
    async with installed(client):
        yield client


class Store:
    def __init__(self) -> None:
        self.values: dict[int, str] = {}
        self.loads = 0

    @cached(key_builder="item:{arg1}")
    async def get(self, ident: int) -> Result[str, Any]:
        self.loads += 1
        return Success(self.values.get(ident, "none"))

    @cached(key_builder="items:all")
    async def all(self) -> Result[str, Any]:
        self.loads += 1
        return Success(",".join(self.values.values()))

    @invalidate_cache("item:{arg1}", "items:*")
    async def put(self, ident: int, value: str) -> Result[str, Any]:
        self.values[ident] = value
        return Success(value)


async def test_hits_invalidations_and_patterns_stay_in_one_slot_each(
    cluster_cache: CacheClient,
) -> None:
    store = Store()
    for i in range(40):
        await store.put(i, f"v{i}")
    for _ in range(2):
        for i in range(40):
            assert await store.get(i) == Success(f"v{i}")
        assert await store.all() == Success(",".join(f"v{i}" for i in range(40)))
    assert store.loads == 41, "the second pass was all hits"
    await store.put(3, "changed")
    assert await store.get(3) == Success("changed")
    expected = ",".join("changed" if i == 3 else f"v{i}" for i in range(40))
    assert await store.all() == Success(expected)
    assert await cluster_cache.clear()
    loads = store.loads
    assert await store.get(5) == Success("v5")
    assert store.loads == loads + 1, "a new generation in every shard: a miss"


async def test_keys_spread_over_every_shard(cluster_cache: CacheClient) -> None:
    store = Store()
    for i in range(200):
        await store.get(i)
    redis = cluster_cache.redis
    assert isinstance(redis, ClusterLikeRedis)
    shard_slots = {shard_slot(CLUSTER_SHARDS, s) for s in range(CLUSTER_SHARDS)}
    used = set(redis.seen) & shard_slots
    assert used == shard_slots
    busiest = max(redis.seen[s] for s in shard_slots)
    assert busiest < 0.2 * sum(redis.seen[s] for s in shard_slots)
