"""The cache's Redis client for each topology: one Redis, a Cluster, or a Sentinel-managed
primary, built with redis-py's own asyncio clients (``RedisCluster``, ``Sentinel.master_for``).

Every mode gets what the standalone client has: short timeouts (the database is the fallback),
no retries (the breaker decides), a bounded pool. And every mode takes one ``on_connect`` hook,
run on each new connection to a data node after redis-py's own handshake, whichever node it
is (each cluster node, whatever primary Sentinel names): that is where a check of the server's
identity belongs, so a promoted replica is noticed before anything is read from it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.connection import AbstractConnection, parse_url
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool
from redis.backoff import NoBackoff
from redis.exceptions import RedisClusterException, RedisError

#: Run on every new data-node connection once redis-py's handshake (AUTH, HELLO, SELECT) is done.
ConnectHook = Callable[[AbstractConnection], Awaitable[None]]
#: What the cache talks to: the two client classes answer the same commands the cache uses.
CacheRedis = Redis | RedisCluster


class CacheConfig(Protocol):
    """What building a client needs of ``slotwise.cache.config.CacheConfig`` (named here
    structurally: the config module builds its client with this one)."""

    @property
    def mode(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def db(self) -> int: ...
    @property
    def password(self) -> str | None: ...
    @property
    def max_connections(self) -> int: ...
    @property
    def socket_timeout(self) -> float: ...
    @property
    def connect_timeout(self) -> float: ...
    @property
    def cluster_nodes(self) -> tuple[tuple[str, int], ...]: ...
    @property
    def sentinels(self) -> tuple[tuple[str, int], ...]: ...
    @property
    def sentinel_master(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Topology:
    """Which kind of Redis the cache uses and the primaries it currently sends writes to."""

    mode: str
    primaries: tuple[str, ...]


def socket_options(config: CacheConfig) -> dict[str, Any]:
    """The per-connection settings every mode shares."""
    return {
        "socket_timeout": config.socket_timeout,
        "socket_connect_timeout": config.connect_timeout,
        "retry": Retry(NoBackoff(), 0),
        "health_check_interval": 0,
    }


def pool_wait(config: CacheConfig) -> float:
    """How long a caller waits for a free pooled connection (a herd queues, never fails)."""
    return max(config.connect_timeout, 0.5)


def connect_func(hook: ConnectHook | None) -> Callable[[AbstractConnection], Awaitable[None]]:
    """A ``redis_connect_func`` (which replaces redis-py's handshake): the handshake, then
    ``hook``."""

    async def on_connect(connection: AbstractConnection) -> None:
        await connection.on_connect()
        if hook is not None:
            await hook(connection)

    return on_connect


def build_client(config: CacheConfig, on_connect: ConnectHook | None = None) -> CacheRedis:
    """The client ``config.mode`` asks for, with ``on_connect`` on every data connection."""
    if config.mode == "cluster":
        return build_cluster(config, on_connect)
    if config.mode == "sentinel":
        return build_sentinel(config, on_connect)
    return build_standalone(config, on_connect)


def build_standalone(config: CacheConfig, on_connect: ConnectHook | None = None) -> Redis:
    """One blocking pool; hiredis parsing when installed (redis-py picks it up by itself)."""
    options: dict[str, Any] = {
        **socket_options(config),
        "max_connections": config.max_connections,
        "timeout": pool_wait(config),
    }
    if on_connect is not None:
        options["redis_connect_func"] = connect_func(on_connect)
    if config.url:
        pool = BlockingConnectionPool.from_url(config.url, **options)
    else:
        pool = BlockingConnectionPool(
            host=config.host, port=config.port, db=config.db, password=config.password, **options
        )
    return Redis(connection_pool=pool)


def cluster_seeds(config: CacheConfig) -> list[tuple[str, int]]:
    """The node REDIS_URL (or REDIS_HOST/PORT) names, then REDIS_CLUSTER_NODES, no repeats."""
    first = (config.host, config.port)
    if config.url:
        parts = parse_url(config.url)
        first = (str(parts.get("host", config.host)), int(parts.get("port", config.port)))
    return list(dict.fromkeys([first, *config.cluster_nodes]))


def _cluster_auth(config: CacheConfig) -> dict[str, Any]:
    parts = parse_url(config.url) if config.url else {}
    return {
        "username": parts.get("username"),
        "password": parts.get("password", config.password),
    }


def build_cluster(config: CacheConfig, on_connect: ConnectHook | None = None) -> RedisCluster:
    """redis-py's RedisCluster from the seeds: it learns the slot map itself, follows MOVED and
    refreshes the map after a failover. ``max_connections`` bounds each node's pool; ``retry``
    (none) is the cluster-level one, node connections never retry in redis-py."""
    client = RedisCluster(
        startup_nodes=[ClusterNode(host, port) for host, port in cluster_seeds(config)],
        max_connections=config.max_connections,
        **socket_options(config),
        **_cluster_auth(config),
    )
    if on_connect is not None:
        hook_cluster(client, connect_func(on_connect))
    return client


def hook_cluster(
    client: RedisCluster, func: Callable[[AbstractConnection], Awaitable[None]]
) -> None:
    """Install ``func`` on every node's connections. RedisCluster takes no connect function;
    like its own maintenance-notification set-up, we put it in the kwargs template every node
    discovered later is built from, and in the seeds built before."""
    client.connection_kwargs["redis_connect_func"] = func
    for node in client.nodes_manager.startup_nodes.values():
        node.connection_kwargs["redis_connect_func"] = func


def refresh_after(client: object, exc: BaseException) -> None:
    """After a node failure, make a cluster client re-read the slot map before its next
    command. RedisCluster does so for single commands, but its pipeline only when it retries
    (it closes every connection first), and we never retry: without this a pipeline would
    keep sending to a dead primary after a failover."""
    if isinstance(client, RedisCluster) and isinstance(exc, RedisCluster.ERRORS_ALLOW_RETRY):
        client._initialize = True


def one_per_node(client: object, keys: tuple[str, ...]) -> tuple[str, ...]:
    """Of ``keys``, the first on each cluster node (a probe that reaches every primary with
    one command each, not one per shard); all of them while the slot map is unknown, or on
    one Redis."""
    if not isinstance(client, RedisCluster):
        return keys
    chosen: dict[str, str] = {}
    for key in keys:
        try:
            node = client.get_node_from_key(key)
        except (RedisError, RedisClusterException):
            return keys
        chosen.setdefault(node.name if node is not None else key, key)
    return tuple(chosen.values())


class BlockingSentinelPool(SentinelConnectionPool, BlockingConnectionPool):
    """Sentinel's pool (asks the sentinels for the primary on every new connection, drops
    connections to a demoted one) with the waiting of the standalone pool: a herd queues for
    a connection instead of failing with "too many connections"."""


class SentinelRedis(Redis):
    """A client of the primary that also closes its connections to the sentinels."""

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        pool = self.connection_pool
        await super().aclose(close_connection_pool)
        manager = getattr(pool, "sentinel_manager", None)
        if isinstance(manager, Sentinel):
            await manager.aclose()


def build_sentinel(config: CacheConfig, on_connect: ConnectHook | None = None) -> Redis:
    """``Sentinel(...).master_for(name)``: the current primary, found again after a failover."""
    if not config.sentinels or not config.sentinel_master:
        raise ValueError("sentinel mode needs the sentinels' addresses and the master's name")
    sentinel_options = {
        "socket_timeout": max(config.socket_timeout, config.connect_timeout),
        "socket_connect_timeout": config.connect_timeout,
        "retry": Retry(NoBackoff(), 0),
    }
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        list(config.sentinels), sentinel_kwargs=sentinel_options
    )
    options: dict[str, Any] = {
        **socket_options(config),
        "max_connections": config.max_connections,
        "timeout": pool_wait(config),
        "password": config.password,
        "db": config.db,
    }
    if on_connect is not None:
        options["redis_connect_func"] = connect_func(on_connect)
    client: Redis = sentinel.master_for(
        config.sentinel_master,
        redis_class=SentinelRedis,
        connection_pool_class=BlockingSentinelPool,
        **options,
    )
    return client


def describe(redis: object, config: CacheConfig) -> Topology:
    """The mode and the primaries in use, as far as the client knows them yet (a cluster's
    map and Sentinel's answer arrive with the first command)."""
    if isinstance(redis, RedisCluster):
        nodes = sorted(f"{node.host}:{node.port}" for node in redis.get_primaries())
        return Topology("cluster", tuple(nodes))
    if config.mode == "sentinel":
        address = getattr(getattr(redis, "connection_pool", None), "master_address", None)
        return Topology("sentinel", (f"{address[0]}:{address[1]}",) if address else ())
    if config.url:
        parts = parse_url(config.url)
        host, port = parts.get("host", config.host), parts.get("port", config.port)
        return Topology(config.mode, (f"{host}:{port}",))
    return Topology(config.mode, (f"{config.host}:{config.port}",))
