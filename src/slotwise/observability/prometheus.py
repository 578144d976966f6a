"""The Prometheus metric families slotwise exports, and their exposition.

Every name here is what deploy/prometheus/alerts.yml and the Grafana dashboard query (a test
checks that they agree). Labels are bounded: query metrics by statement kind, request metrics
by route *template*, operation metrics by a capped name set.

With several worker processes (``slotwise serve --workers N``) each worker writes its samples
to files under ``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics`` merges them, so a scrape sees the
whole server, whichever worker answers. That variable must be set before prometheus-client is
imported (the serve command does it in the parent, before the workers start).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from slotwise.observability.multiprocess import multiprocess_dir

CONTENT_TYPE = CONTENT_TYPE_LATEST

REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: The request histogram's upper bounds as prometheus-client keeps them (+Inf last).
REQUEST_BOUNDS = (*REQUEST_BUCKETS, math.inf)
QUERY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)

#: ``tier``: ``l1`` (the worker's in-process tier) or ``redis``. A hit is counted in the tier
#: that answered; a miss in each tier that did not (an ``l1`` miss went on to Redis, a
#: ``redis`` miss to the database).
CACHE_HITS = Counter("slotwise_cache_hits", "Cache reads answered, by tier.", ["tier"])
CACHE_MISSES = Counter("slotwise_cache_misses", "Cache reads a tier could not answer.", ["tier"])

DB_QUERIES = Counter("slotwise_db_queries", "SQL statements executed.", ["operation"])
DB_SLOW_QUERIES = Counter(
    "slotwise_db_slow_queries",
    "SQL statements slower than SLOW_QUERY_THRESHOLD_MS.",
    ["operation"],
)
DB_QUERY_SECONDS = Histogram(
    "slotwise_db_query_duration_seconds",
    "SQL statement execution time.",
    ["operation"],
    buckets=QUERY_BUCKETS,
)

HTTP_REQUESTS = Counter(
    "slotwise_http_requests", "HTTP requests served.", ["method", "route", "status"]
)
HTTP_REQUEST_SECONDS = Histogram(
    "slotwise_http_request_duration_seconds",
    "HTTP request latency by route template.",
    ["method", "route"],
    buckets=REQUEST_BUCKETS,
)

OPERATION_SECONDS = Histogram(
    "slotwise_operation_duration_seconds",
    "Durations timed with PerformanceTimer / @timed.",
    ["name"],
    buckets=REQUEST_BUCKETS,
)

# Pool gauges: one value per live worker; the alert takes the worst worker (livemax).
POOL_IN_USE = Gauge(
    "slotwise_pool_connections_in_use",
    "Connections checked out of a pool (db or redis).",
    ["pool"],
    multiprocess_mode="livesum",
)
POOL_CAPACITY = Gauge(
    "slotwise_pool_connections_max",
    "Connections a pool may open (db: size + overflow; redis: max_connections).",
    ["pool"],
    multiprocess_mode="livesum",
)
POOL_USAGE = Gauge(
    "slotwise_pool_usage_ratio",
    "in_use / max of a pool, 0-1, worst worker.",
    ["pool"],
    multiprocess_mode="livemax",
)

# Which Redis the cache uses: 1 for each primary in use, 0 for one used before (a failover).
CACHE_TOPOLOGY = Gauge(
    "slotwise_cache_topology_info",
    "The cache's Redis mode and the primaries it writes to (1 = in use now).",
    ["mode", "primary"],
    multiprocess_mode="livemax",
)

#: Every series name /metrics can contain (what the alert rules and dashboard may reference).
EXPORTED_SERIES: frozenset[str] = frozenset(
    {
        "slotwise_cache_hits_total",
        "slotwise_cache_misses_total",
        "slotwise_db_queries_total",
        "slotwise_db_slow_queries_total",
        "slotwise_http_requests_total",
        "slotwise_pool_connections_in_use",
        "slotwise_pool_connections_max",
        "slotwise_pool_usage_ratio",
        "slotwise_cache_topology_info",
    }
    | {
        f"{family}{suffix}"
        for family in (
            "slotwise_db_query_duration_seconds",
            "slotwise_http_request_duration_seconds",
            "slotwise_operation_duration_seconds",
        )
        for suffix in ("_bucket", "_sum", "_count")
    }
)


_topology_seen: set[tuple[str, str]] = set()


def set_cache_topology(mode: str, primaries: tuple[str, ...]) -> None:
    """Mark ``primaries`` in use (1) and every primary reported before and gone since 0; the
    label set stays small (the nodes this process has ever written to)."""
    now = {(mode, primary) for primary in primaries}
    for labels in _topology_seen - now:
        CACHE_TOPOLOGY.labels(*labels).set(0)
    for labels in now:
        CACHE_TOPOLOGY.labels(*labels).set(1)
    _topology_seen.update(now)


def observe_batch(child: Any, buckets: Sequence[int], total: float) -> None:
    """``child.observe(v)`` for a batch of values, given as their count per bucket (in the
    child's bucket order) and their sum: one ``inc`` per non-empty bucket. Writes the
    values ``Histogram.observe`` writes (``_sum``, the first bucket whose bound holds the
    value); ``tests/unit/test_prometheus_batch.py`` checks both give the same exposition."""
    child._sum.inc(total)
    for index, count in enumerate(buckets):
        if count:
            child._buckets[index].inc(count)


#: Called before each exposition: what this process buffers is published first.
_before_render: list[Callable[[], None]] = []


def before_render(hook: Callable[[], None]) -> None:
    """Run ``hook`` before every ``render_latest`` (the collector publishes its batch)."""
    _before_render.append(hook)


def render_latest() -> bytes:
    """The exposition text: merged over all workers in multiprocess mode, else this process."""
    for hook in _before_render:
        hook()
    path = multiprocess_dir()
    if path is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=path)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def mark_worker_dead(pid: int | None = None) -> None:
    """Drop a stopped worker's live gauges (its counters stay: they are history)."""
    if multiprocess_dir() is not None:
        pid = pid if pid is not None else os.getpid()
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
