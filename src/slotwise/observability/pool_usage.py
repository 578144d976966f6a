"""Reading how full the connection pools are (the checklist's "pool usage < 80%").

Probes return ``None`` when there is nothing to read (a pool without limits, no Redis), so the
summary and ``/metrics`` simply leave that pool out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from slotwise.observability.metrics import PoolProbe, PoolUsage
from slotwise.queries.counter import sync_engine_of


def sqlalchemy_pool_usage(pool: Any) -> PoolUsage | None:
    """Checked-out connections of a QueuePool out of ``size + max_overflow``."""
    checkedout = getattr(pool, "checkedout", None)
    size = getattr(pool, "size", None)
    if not callable(checkedout) or not callable(size):
        return None  # NullPool / StaticPool: nothing bounded to report
    overflow = max(int(getattr(pool, "_max_overflow", 0)), 0)
    return PoolUsage(int(checkedout()), int(size()) + overflow)


def engine_pool_probe(engine: AsyncEngine | Engine) -> PoolProbe:
    sync = sync_engine_of(engine)
    return lambda: sqlalchemy_pool_usage(sync.pool)


def redis_pool_usage(pool: Any) -> PoolUsage | None:
    """Connections in use of a redis-py (async) ConnectionPool out of ``max_connections``."""
    in_use = getattr(pool, "_in_use_connections", None)
    capacity = getattr(pool, "max_connections", None)
    if in_use is None or not isinstance(capacity, int) or capacity <= 0:
        return None
    return PoolUsage(len(in_use), capacity)


def cluster_pool_usage(nodes: Any) -> PoolUsage | None:
    """The fullest node pool of a redis-py (async) RedisCluster: each node has its own
    ``max_connections``, and the first one to run out is what callers feel."""
    usages = [
        PoolUsage(len(node._connections) - len(node._free), node.max_connections)
        for node in nodes
        if isinstance(getattr(node, "max_connections", None), int) and node.max_connections > 0
    ]
    return max(usages, key=lambda u: u.usage_percent, default=None)


def redis_client_probe(get_client: Callable[[], Any]) -> PoolProbe:
    """A probe that looks the client up at each reading (the cache connects after startup,
    and reconnects after an outage with a new pool)."""

    def probe() -> PoolUsage | None:
        client = get_client()
        if client is not None and callable(getattr(client, "get_nodes", None)):
            return cluster_pool_usage(client.get_nodes())
        pool = getattr(client, "connection_pool", None) if client is not None else None
        return redis_pool_usage(pool) if pool is not None else None

    return probe
