"""Building the cache's client per REDIS_MODE: the right redis-py client, the same patience
(short timeouts, no retries, bounded pools) in every mode, and the connect hook on every data
connection. Nothing here opens a socket: redis-py connects lazily."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.sentinel import SentinelConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError

from slotwise.cache import topology
from slotwise.cache.config import CacheConfig, build_redis
from slotwise.settings import Settings

BASE = CacheConfig(socket_timeout=0.05, connect_timeout=0.2, max_connections=7)
CLUSTER = replace(
    BASE,
    mode="cluster",
    url="redis://user:pw@10.0.0.1:7000/0",
    cluster_nodes=(("10.0.0.2", 7001), ("10.0.0.1", 7000)),
)
SENTINEL = replace(
    BASE,
    mode="sentinel",
    sentinels=(("10.0.0.5", 26379), ("10.0.0.6", 26379)),
    sentinel_master="primary-a",
    password="pw",
)


async def hook(connection: AbstractConnection) -> None:
    """A stand-in for the identity check: records which connection it saw."""
    seen.append(connection)


seen: list[Any] = []


def assert_patient_like_standalone(kwargs: dict[str, Any]) -> None:
    assert kwargs["socket_timeout"] == 0.05
    assert kwargs["socket_connect_timeout"] == 0.2
    assert kwargs["health_check_interval"] == 0


def test_standalone_is_one_blocking_bounded_pool() -> None:
    client = topology.build_client(replace(BASE, url="redis://127.0.0.1:6390/3"))
    assert isinstance(client, Redis)
    pool = client.connection_pool
    assert isinstance(pool, BlockingConnectionPool)
    assert pool.max_connections == 7
    assert pool.connection_kwargs["port"] == 6390 and pool.connection_kwargs["db"] == 3
    assert_patient_like_standalone(pool.connection_kwargs)
    assert pool.connection_kwargs["retry"].get_retries() == 0


def test_cluster_uses_redis_pys_cluster_client_with_every_seed_once() -> None:
    client = topology.build_client(CLUSTER)
    assert isinstance(client, RedisCluster)
    assert topology.cluster_seeds(CLUSTER) == [("10.0.0.1", 7000), ("10.0.0.2", 7001)]
    assert sorted(client.nodes_manager.startup_nodes) == ["10.0.0.1:7000", "10.0.0.2:7001"]
    assert client.retry.get_retries() == 0
    kwargs = client.connection_kwargs
    assert kwargs["max_connections"] == 7
    assert (kwargs["username"], kwargs["password"]) == ("user", "pw")
    assert_patient_like_standalone(kwargs)


def test_cluster_seed_from_host_and_port_without_url() -> None:
    config = replace(BASE, mode="cluster", host="10.0.0.9", port=7005)
    assert topology.cluster_seeds(config) == [("10.0.0.9", 7005)]


def test_sentinel_follows_the_named_primary_with_a_blocking_pool() -> None:
    client = topology.build_client(SENTINEL)
    assert isinstance(client, topology.SentinelRedis)
    pool = client.connection_pool
    assert isinstance(pool, SentinelConnectionPool)
    assert isinstance(pool, BlockingConnectionPool)
    assert pool.service_name == "primary-a" and pool.is_master
    assert pool.max_connections == 7
    assert pool.connection_kwargs["password"] == "pw"
    assert_patient_like_standalone(pool.connection_kwargs)
    assert pool.connection_kwargs["retry"].get_retries() == 0
    sentinels = pool.sentinel_manager.sentinels
    assert [s.connection_pool.connection_kwargs["port"] for s in sentinels] == [26379, 26379]


def test_sentinel_without_its_settings_is_refused() -> None:
    with pytest.raises(ValueError, match="sentinel"):
        topology.build_client(replace(BASE, mode="sentinel"))


@pytest.mark.parametrize(
    "config", [BASE, CLUSTER, SENTINEL], ids=["standalone", "cluster", "sentinel"]
)
def test_the_connect_hook_reaches_every_data_connection(config: CacheConfig) -> None:
    client = topology.build_client(config, hook)
    if isinstance(client, RedisCluster):
        # the template of nodes discovered later, and each seed built before
        templates = [client.connection_kwargs] + [
            node.connection_kwargs for node in client.nodes_manager.startup_nodes.values()
        ]
    else:
        templates = [client.connection_pool.connection_kwargs]
    funcs = {t.get("redis_connect_func") for t in templates}
    assert len(funcs) == 1 and None not in funcs


async def test_connect_func_runs_the_handshake_then_the_hook() -> None:
    calls: list[str] = []

    class FakeConnection:
        async def on_connect(self) -> None:
            calls.append("handshake")

    async def check(connection: AbstractConnection) -> None:
        calls.append("hook")

    await topology.connect_func(check)(FakeConnection())  # type: ignore[arg-type]
    assert calls == ["handshake", "hook"]
    calls.clear()
    await topology.connect_func(None)(FakeConnection())  # type: ignore[arg-type]
    assert calls == ["handshake"]


def test_from_settings_carries_the_topology(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(
        redis_mode="sentinel",
        redis_sentinels=["10.0.0.5:26379", "[::1]:26380"],
        redis_sentinel_master="primary-a",
    )
    config = CacheConfig.from_settings(settings)
    assert config.mode == "sentinel"
    assert config.sentinels == (("10.0.0.5", 26379), ("::1", 26380))
    assert config.sentinel_master == "primary-a"
    assert config.redacted_url() == "redis+sentinel://10.0.0.5:26379,::1:26380/primary-a"
    cluster = CacheConfig.from_settings(
        Settings(redis_mode="cluster", redis_url="redis://a:1/0", redis_cluster_nodes=["b:2"])
    )
    assert (cluster.mode, cluster.url, cluster.cluster_nodes) == (
        "cluster",
        "redis://a:1/0",
        (("b", 2),),
    )
    assert isinstance(build_redis(cluster), RedisCluster)


def test_describe_names_the_mode_and_the_primaries_known() -> None:
    standalone = replace(BASE, url="redis://:secret@10.0.0.3:6380/0")
    assert topology.describe(object(), standalone) == topology.Topology(
        "standalone", ("10.0.0.3:6380",)
    )
    assert topology.describe(object(), replace(BASE, host="h", port=1)).primaries == ("h:1",)
    # before the first command neither the slot map nor Sentinel's answer is known
    assert topology.describe(topology.build_client(CLUSTER), CLUSTER).primaries == ()
    sentinel_client = topology.build_client(SENTINEL)
    assert topology.describe(sentinel_client, SENTINEL) == topology.Topology("sentinel", ())
    pool: Any = getattr(sentinel_client, "connection_pool")  # noqa: B009
    pool.master_address = ("10.0.0.7", 6379)
    assert topology.describe(sentinel_client, SENTINEL).primaries == ("10.0.0.7:6379",)


def test_a_failed_cluster_command_makes_the_slot_map_reread() -> None:
    client = topology.build_client(CLUSTER)
    assert isinstance(client, RedisCluster)
    client._initialize = False
    topology.refresh_after(client, ValueError("not a Redis error"))
    assert client._initialize is False
    topology.refresh_after(client, RedisConnectionError("node gone"))
    assert client._initialize is True
    standalone = topology.build_client(BASE)
    topology.refresh_after(standalone, RedisConnectionError("no effect on one Redis"))


def test_a_probe_key_per_cluster_node_once_the_slot_map_is_known() -> None:
    keys = tuple(f"p:{{s{i}}}:probe" for i in range(6))
    assert topology.one_per_node(topology.build_client(BASE), keys) == keys
    client = topology.build_client(CLUSTER)
    assert isinstance(client, RedisCluster)
    assert topology.one_per_node(client, keys) == keys  # no slot map yet: every key

    a, b, c = ClusterNode("a", 1), ClusterNode("b", 2), ClusterNode("c", 3)
    nodes = [a, b, a, b, a, c]

    def node_of(key: str, replica: bool = False) -> ClusterNode | None:
        return nodes[keys.index(key)]

    client.get_node_from_key = node_of  # type: ignore[method-assign]
    assert topology.one_per_node(client, keys) == (keys[0], keys[1], keys[5])
