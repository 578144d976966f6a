"""Reading pool usage from SQLAlchemy and redis-py pools (hand-written stand-ins)."""

from __future__ import annotations

from slotwise.observability.pool_usage import (
    redis_client_probe,
    redis_pool_usage,
    sqlalchemy_pool_usage,
)


class QueuePoolLike:
    _max_overflow = 20

    def checkedout(self) -> int:
        return 12

    def size(self) -> int:
        return 10


class RedisPoolLike:
    def __init__(self, in_use: int, max_connections: int) -> None:
        self._in_use_connections = set(range(in_use))
        self.max_connections = max_connections


class RedisClientLike:
    def __init__(self, pool: RedisPoolLike) -> None:
        self.connection_pool = pool


def test_sqlalchemy_pool_usage_counts_overflow_in_the_capacity() -> None:
    usage = sqlalchemy_pool_usage(QueuePoolLike())
    assert usage is not None
    assert (usage.in_use, usage.capacity, usage.usage_percent) == (12, 30, 40.0)


def test_unbounded_pools_report_nothing() -> None:
    assert sqlalchemy_pool_usage(object()) is None
    assert redis_pool_usage(object()) is None


def test_redis_pool_usage() -> None:
    usage = redis_pool_usage(RedisPoolLike(in_use=45, max_connections=50))
    assert usage is not None and usage.usage_percent == 90.0


def test_redis_probe_follows_the_current_client() -> None:
    clients: list[RedisClientLike | None] = [None]
    probe = redis_client_probe(lambda: clients[0])
    assert probe() is None
    clients[0] = RedisClientLike(RedisPoolLike(in_use=1, max_connections=4))
    usage = probe()
    assert usage is not None and usage.in_use == 1 and usage.capacity == 4


class ClusterNodeLike:
    def __init__(self, opened: int, free: int, max_connections: int) -> None:
        self._connections = list(range(opened))
        self._free = list(range(free))
        self.max_connections = max_connections


class ClusterClientLike:
    def __init__(self, *nodes: ClusterNodeLike) -> None:
        self.nodes = list(nodes)

    def get_nodes(self) -> list[ClusterNodeLike]:
        return self.nodes


def test_cluster_probe_reports_the_fullest_node() -> None:
    client = ClusterClientLike(
        ClusterNodeLike(opened=10, free=8, max_connections=50),
        ClusterNodeLike(opened=45, free=5, max_connections=50),
        ClusterNodeLike(opened=0, free=0, max_connections=50),
    )
    usage = redis_client_probe(lambda: client)()
    assert usage is not None
    assert (usage.in_use, usage.capacity) == (40, 50)
    assert redis_client_probe(lambda: ClusterClientLike())() is None
