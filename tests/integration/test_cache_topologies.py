"""The cache's client on a real local Redis Cluster and Sentinel group (``deploy/local``): it
finds every primary, runs the connect hook on each of them, and after a primary is killed
with SIGKILL it follows the promoted replica and runs the hook there before using it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import RedisClusterException, RedisError

from slotwise.cache import topology
from slotwise.cache.config import CacheConfig
from slotwise.settings import Settings
from tests.integration.redis_topology import LocalTopology, local_cluster, local_sentinel

pytestmark = pytest.mark.real_services

ERRORS = (RedisError, RedisClusterException, OSError)


def config_for(topo: LocalTopology) -> CacheConfig:
    """What ``slotwise serve`` would build from the settings the script printed (with
    generous timeouts: CI's two cores are shared; the failover itself is what is tested)."""
    settings = Settings.model_validate({k.lower(): v for k, v in topo.env.items()})
    config = CacheConfig.from_settings(settings)
    return replace(config, socket_timeout=1.0, connect_timeout=1.0, key_prefix="topotest")


class Hooked:
    """A connect hook that records which server each new connection reached."""

    def __init__(self) -> None:
        self.ports: list[int] = []

    async def __call__(self, connection: AbstractConnection) -> None:
        self.ports.append(int(connection.port))  # type: ignore[attr-defined]


async def until_ok(call: Callable[[], Awaitable[Any]]) -> tuple[Any, int]:
    """Retry ``call`` until it succeeds (what the next requests do after a failover), for at
    most 30 s; the result and how many attempts failed."""
    failed = 0
    deadline = time.monotonic() + 30
    while True:
        try:
            return await call(), failed
        except ERRORS:
            failed += 1
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def test_cluster_client_reaches_every_primary_and_follows_a_failover(
    tmp_path: Path,
) -> None:
    with local_cluster(tmp_path) as topo:
        config = config_for(topo)
        assert config.mode == "cluster"
        hook = Hooked()
        client = topology.build_client(config, hook)
        assert isinstance(client, RedisCluster)
        try:
            keys = [f"topotest:{i}" for i in range(60)]
            for key in keys:
                await client.set(key, key)
            primaries = sorted(topo.primaries())
            assert topology.describe(client, config).primaries == tuple(
                f"127.0.0.1:{p}" for p in primaries
            )
            assert set(primaries) <= set(hook.ports), "every primary's connections were hooked"

            victim = client.get_node_from_key(keys[0])
            assert victim is not None
            topo.kill_primary(int(victim.port))
            promoted = topo.wait_failover(int(victim.port))
            # the replica may lack the last writes (replication is asynchronous): what
            # matters is that the client finds the promoted replica and can use it
            await until_ok(lambda: client.set(keys[0], "after"))
            assert await client.get(keys[0]) == b"after"
            assert promoted in hook.ports, "the promoted replica's connection was hooked"
            described = topology.describe(client, config).primaries
            assert f"127.0.0.1:{promoted}" in described
            assert f"127.0.0.1:{victim.port}" not in described
        finally:
            await client.aclose()


async def test_sentinel_client_follows_the_promoted_replica(tmp_path: Path) -> None:
    with local_sentinel(tmp_path) as topo:
        config = config_for(topo)
        assert config.mode == "sentinel"
        hook = Hooked()
        client = topology.build_client(config, hook)
        try:
            await client.set("topotest:k", "v1")
            old = topo.base
            assert topology.describe(client, config).primaries == (f"127.0.0.1:{old}",)
            assert hook.ports and set(hook.ports) == {old}

            topo.kill_primary(old)
            promoted = topo.wait_failover(old)
            assert promoted == topo.base + 1
            _, failed = await until_ok(lambda: client.set("topotest:k", "v2"))
            assert await client.get("topotest:k") == b"v2"
            assert promoted in hook.ports, "the new primary's connection was hooked"
            assert topology.describe(client, config).primaries == (f"127.0.0.1:{promoted}",)
            assert failed >= 1, "the killed primary's connection failed at least once"
        finally:
            await client.aclose()
