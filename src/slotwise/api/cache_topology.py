"""Which Redis the cache uses, for ``/health/ready`` and ``/metrics`` (operators must see a
failover or a wrong REDIS_MODE without reading logs)."""

from __future__ import annotations

from slotwise.cache.client import get_cache
from slotwise.cache.topology import Topology, describe
from slotwise.observability import prometheus


def cache_topology() -> Topology | None:
    """The cache's Redis mode and primaries in use; None while caching is off."""
    cache = get_cache()
    if cache is None:
        return None
    return describe(cache.redis, cache.config)


def record_cache_topology() -> None:
    """Refresh ``slotwise_cache_topology_info`` (at scrape time: a failover shows up there)."""
    found = cache_topology()
    if found is not None:
        prometheus.set_cache_topology(found.mode, found.primaries)
