"""Performance metrics (the user's document, section 4), fed by the code that does the work.

    metrics = get_metrics()
    metrics.record_query("User.get", 45.2)
    metrics.record_cache_hit()
    with PerformanceTimer("expensive_operation") as timer:
        ...
    summary = metrics.get_summary()          # summary["cache"]["hit_rate"] is a percentage

The cache decorators record hits and misses, the engine's events every SQL statement
(``slotwise.observability.setup``), the request middleware every HTTP request by route
template. Each record goes to two places: this process's bounded summary (fixed-size
histograms, at most ``MAX_NAMES`` names per kind, the rest under ``"other"``) and the
Prometheus families of ``slotwise.observability.prometheus``, which ``/metrics`` merges over
workers.

Requests and cache hits/misses, recorded on every request, are *published* in batches
(``publish``): a request appends one ``(method, route, status, ms)`` tuple to a list, a cache
read appends its tier to another (no lock: ``list.append`` is atomic, and ``publish`` drains
the lists without swapping them), and the histograms, counters and Prometheus children are
updated once per batch: records grouped by series, each series' durations sorted, one
bisection per bucket they span, one ``inc`` per series and bucket. A batch is published when
``PUBLISH_BATCH`` records are pending, ``PUBLISH_DELAY_S`` after its first record, before
every scrape and summary of this process, and at shutdown; so this worker's own scrape is
exact and another worker's records reach the shared metric files within
``PUBLISH_DELAY_S``. Why so little per request: on a cached hit served from memory the whole
request costs a few tens of µs, and the stack's share of it is a measured target (≤ 5 %).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import os
import threading
import time
from bisect import bisect_right
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from itertools import groupby, pairwise
from operator import itemgetter
from types import TracebackType
from typing import Any, ParamSpec, Self, TypeVar, cast

from slotwise.observability import prometheus as prom
from slotwise.observability.histogram import Histogram

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

log = logging.getLogger("slotwise.metrics")

OTHER = "other"
#: The cache tiers a read can be answered by (the ``tier`` label's only values).
L1_TIER = "l1"
REDIS_TIER = "redis"
_OPERATIONS = frozenset({"select", "insert", "update", "delete"})
#: Pending request records published at once when a batch reaches this size ...
PUBLISH_BATCH = 1024
#: ... or this long after the batch's first record (the most another worker's scrape lags).
PUBLISH_DELAY_S = 0.05
#: A pending request record's series (method, route, status) and its duration (ms).
_SERIES_KEY = itemgetter(0, 1, 2)
_DURATION = itemgetter(3)
#: The request histogram's bucket bounds in ms, the unit records are kept in.
_REQUEST_BOUNDS_MS = tuple(bound * 1000.0 for bound in prom.REQUEST_BOUNDS)


@dataclass(frozen=True, slots=True)
class PoolUsage:
    """Connections in use out of the most a pool may open."""

    in_use: int
    capacity: int

    @property
    def usage_percent(self) -> float:
        return 100.0 * self.in_use / self.capacity if self.capacity else 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "in_use": self.in_use,
            "max": self.capacity,
            "usage_percent": round(self.usage_percent, 2),
        }


PoolProbe = Callable[[], PoolUsage | None]


class _NamedHistograms:
    """One histogram per name, at most ``cap`` names; later names share ``"other"``."""

    __slots__ = ("cap", "items")

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.items: dict[str, Histogram] = {}

    def key(self, name: str) -> str:
        if name in self.items or len(self.items) < self.cap - 1:
            return name
        return OTHER

    def add(self, name: str, ms: float) -> str:
        key = self.key(name)
        hist = self.items.get(key)
        if hist is None:
            hist = self.items[key] = Histogram()
        hist.add(ms)
        return key


def _drain(items: list[T]) -> list[T]:
    """The items appended so far, taken out; one appended meanwhile by another thread stays
    for the next drain (the list is never swapped, so no append can land in a dropped one)."""
    count = len(items)
    taken = items[:count]
    del items[:count]
    return taken


def _unpublished(counts: dict[str, int], published: dict[str, int]) -> dict[str, int]:
    """What ``counts`` gained since ``published`` (which catches up)."""
    gained = {k: n - published.get(k, 0) for k, n in counts.items() if n != published.get(k, 0)}
    published.update(counts)
    return gained


def _tally(tiers: list[str]) -> list[tuple[str, int]]:
    """How often each tier occurs (there are two: a set and a ``count`` each, all in C)."""
    return [(tier, tiers.count(tier)) for tier in set(tiers)]


@dataclass(eq=False, slots=True)
class _RequestSeries:
    """Where one (method, route, status) is recorded: bound once, reused per request."""

    key: str
    hist: Histogram
    error: bool
    count: Any
    seconds: Any

    def publish(self, samples: list[float], errors: dict[str, int]) -> tuple[int, float, list[int]]:
        """Add a batch of durations (ms) to the summary's histogram (under the collector's
        lock); their count, sum in seconds and Prometheus bucket counts."""
        samples.sort()
        self.hist.add_sorted(samples)
        count = len(samples)
        if self.error:
            errors[self.key] = errors.get(self.key, 0) + count
        # Prometheus's bucket of a value is the first bound >= it: count those <= each bound.
        at_most = [bisect_right(samples, bound) for bound in _REQUEST_BOUNDS_MS]
        buckets = [at_most[0]] + [b - a for a, b in pairwise(at_most)]
        return count, sum(samples) / 1000.0, buckets


def _stats(hist: Histogram) -> dict[str, float]:
    return {
        "count": hist.n,
        "avg_ms": round(hist.avg_ms, 3),
        "p50_ms": round(hist.percentile(50), 3),
        "p95_ms": round(hist.percentile(95), 3),
        "p99_ms": round(hist.percentile(99), 3),
        "max_ms": round(hist.max_ms, 3),
    }


def _slow_threshold_from_settings() -> float:
    from slotwise.settings import get_settings

    return get_settings().slow_query_threshold_ms


class MetricsCollector:
    """Process-local metrics; every structure is bounded, recording is O(1)."""

    MAX_NAMES = 200
    #: (method, route, status) combinations whose recording targets are kept bound.
    MAX_SERIES = 1000

    def __init__(self, slow_query_threshold_ms: float | None = None) -> None:
        self._lock = threading.Lock()
        self.enabled = True
        #: How long a batch may wait for more records (the benchmark sets it long, so that
        #: batches are published by size, as under load, inside the rounds that recorded them).
        self.publish_delay_s = PUBLISH_DELAY_S
        self._explicit_threshold = slow_query_threshold_ms
        self.slow_query_threshold_ms = (
            slow_query_threshold_ms
            if slow_query_threshold_ms is not None
            else _slow_threshold_from_settings()
        )
        self.started = time.time()
        self._cache_hits = 0
        self._cache_misses = 0
        self.cache_refreshes = 0
        self._hits_by_tier: dict[str, int] = {}
        self._misses_by_tier: dict[str, int] = {}
        #: The tier of every hit and miss since the last fold (appended without a lock).
        self._hit_tiers: list[str] = []
        self._miss_tiers: list[str] = []
        self.queries_total = 0
        self.slow_queries = 0
        self._query_all = Histogram()
        self._queries = _NamedHistograms(self.MAX_NAMES)
        self._slow_by_name: dict[str, int] = {}
        self._endpoints = _NamedHistograms(self.MAX_NAMES)
        self._endpoint_errors: dict[str, int] = {}
        self._operations = _NamedHistograms(self.MAX_NAMES)
        self._pools: dict[str, PoolProbe] = {}
        self._prom_children: dict[tuple[str, ...], Any] = {}
        self._request_series: dict[tuple[str, str, int], _RequestSeries] = {}
        self._pending_requests: list[tuple[str, str, int, float]] = []
        #: Past ``MAX_SERIES``: one series per status, labelled ``other``.
        self._overflow_series: dict[int, _RequestSeries] = {}
        self._published_hits: dict[str, int] = {}
        self._published_misses: dict[str, int] = {}
        self._publish_timer: asyncio.TimerHandle | None = None

    # --- recording ----------------------------------------------------------------------------

    def record_cache_hit(self, tier: str = REDIS_TIER) -> None:
        """A read answered by ``tier`` (``l1``: the in-process tier, ``redis``). Written out,
        not through ``_mark``: a hit from memory is the path where a call shows."""
        if self.enabled:
            tiers = self._hit_tiers
            tiers.append(tier)
            if len(tiers) >= PUBLISH_BATCH:
                self.publish()
            elif self._publish_timer is None:
                self._publish_soon()

    def record_cache_miss(self, tier: str = REDIS_TIER) -> None:
        """A read ``tier`` could not answer; only a Redis miss is a miss of the cache as a
        whole (an ``l1`` miss went on to Redis, where it hit or missed)."""
        if self.enabled:
            self._mark(self._miss_tiers, tier)

    def _mark(self, tiers: list[str], tier: str) -> None:
        tiers.append(tier)
        if len(tiers) >= PUBLISH_BATCH:
            self.publish()
        elif self._publish_timer is None:
            self._publish_soon()

    def _fold_reads(self) -> None:
        """Count the marked hits and misses into the totals (under the lock)."""
        for tier, count in _tally(_drain(self._hit_tiers)):
            self._cache_hits += count
            self._hits_by_tier[tier] = self._hits_by_tier.get(tier, 0) + count
        for tier, count in _tally(_drain(self._miss_tiers)):
            if tier == REDIS_TIER:
                self._cache_misses += count
            self._misses_by_tier[tier] = self._misses_by_tier.get(tier, 0) + count

    def _folded(self, name: str) -> Any:
        with self._lock:
            self._fold_reads()
            return getattr(self, name)

    @property
    def cache_hits(self) -> int:
        return int(self._folded("_cache_hits"))

    @property
    def cache_misses(self) -> int:
        return int(self._folded("_cache_misses"))

    @property
    def hits_by_tier(self) -> dict[str, int]:
        return dict(self._folded("_hits_by_tier"))

    @property
    def misses_by_tier(self) -> dict[str, int]:
        return dict(self._folded("_misses_by_tier"))

    def record_cache_refresh(self) -> None:
        """A write re-read what it changed (``cache.refresh``): a load, but not a read."""
        if not self.enabled:
            return
        with self._lock:
            self.cache_refreshes += 1

    def record_query(self, name: str, duration_ms: float, *, operation: str | None = None) -> bool:
        """Record one query; returns whether it counted as slow (the caller may log it)."""
        if not self.enabled:
            return False
        slow = duration_ms > self.slow_query_threshold_ms
        with self._lock:
            self.queries_total += 1
            self._query_all.add(duration_ms)
            key = self._queries.add(name, duration_ms)
            if slow:
                self.slow_queries += 1
                self._slow_by_name[key] = self._slow_by_name.get(key, 0) + 1
        op = (operation or name.split(" ", 1)[0]).lower()
        op = op if op in _OPERATIONS else OTHER
        # One lookup per statement for the operation's two series (the slow-query series
        # is created only when a query is first slow).
        count, seconds = self._child(
            "query", op,
            factory=lambda: (prom.DB_QUERIES.labels(op), prom.DB_QUERY_SECONDS.labels(op)),
        )  # fmt: skip
        count.inc()
        seconds.observe(duration_ms / 1000.0)
        if slow:
            self._child("qslow", op, factory=lambda: prom.DB_SLOW_QUERIES.labels(op)).inc()
        return slow

    def record_request(self, method: str, route: str, status: int, duration_ms: float) -> None:
        """One HTTP request, by route template (``/api/slots/{slot_id}``, never a raw path);
        counted at the next ``publish``. One tuple appended, no lock (``publish`` drains the
        list without swapping it): the grouping by series is done per batch, where it runs
        warm, not per request, where every line runs cold."""
        if self.enabled:
            pending = self._pending_requests
            pending.append((method, route, status, duration_ms))
            if len(pending) >= PUBLISH_BATCH:
                self.publish()
            elif self._publish_timer is None:
                self._publish_soon()

    def _publish_soon(self) -> None:
        """Publish ``publish_delay_s`` from now on the running loop (at once without one)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.publish()
            return
        self._publish_timer = loop.call_later(self.publish_delay_s, self.publish)

    def publish(self) -> None:
        """Apply the pending request records to the summary, and every pending request and
        cache count to the Prometheus families."""
        if self._publish_timer is not None:
            self._publish_timer.cancel()
            self._publish_timer = None
        with self._lock:
            batches = self._publish_requests(_drain(self._pending_requests))
            self._fold_reads()
            hits = _unpublished(self._hits_by_tier, self._published_hits)
            misses = _unpublished(self._misses_by_tier, self._published_misses)
        for series, (count, total_s, buckets) in batches:
            series.count.inc(count)
            prom.observe_batch(series.seconds, buckets, total_s)
        for tier, n in hits.items():
            self._child("ch", tier, factory=functools.partial(prom.CACHE_HITS.labels, tier)).inc(n)
        for tier, n in misses.items():
            self._child("cm", tier, factory=functools.partial(prom.CACHE_MISSES.labels, tier)).inc(
                n
            )

    def _publish_requests(
        self, pending: list[tuple[str, str, int, float]]
    ) -> list[tuple[_RequestSeries, tuple[int, float, list[int]]]]:
        """Add ``pending`` to the summary's histograms, grouped by series (under the lock);
        each series' count, sum and Prometheus buckets."""
        # Grouped by runs of one series in C (a worker's traffic comes in runs: one Python
        # step per run, not per record), then by series.
        grouped: dict[tuple[str, str, int], list[float]] = {}
        for key, records in groupby(pending, key=_SERIES_KEY):
            samples = grouped.get(key)
            if samples is None:
                grouped[key] = list(map(_DURATION, records))
            else:
                samples.extend(map(_DURATION, records))
        published = []
        for (method, route, status), samples in grouped.items():
            series = self._series(method, route, status)
            published.append((series, series.publish(samples, self._endpoint_errors)))
        return published

    def _series(self, method: str, route: str, status: int) -> _RequestSeries:
        """The series a request is recorded into, bound on its first record: kept for at
        most ``MAX_SERIES`` combinations; past them, one ``other`` series per status (a
        client's made-up methods cannot grow it). Called under the lock."""
        series = self._request_series.get((method, route, status))
        if series is not None:
            return series
        if len(self._request_series) < self.MAX_SERIES:
            series = self._bind_request_series(method, route, status)
            self._request_series[(method, route, status)] = series
            return series
        series = self._overflow_series.get(status)
        if series is None:
            series = self._overflow_series[status] = self._bind_request_series(OTHER, OTHER, status)
        return series

    def _bind_request_series(self, method: str, route: str, status: int) -> _RequestSeries:
        """Everything one (method, route, status) records into, looked up once: the local
        histogram (``"other"`` past ``MAX_NAMES``) and the two Prometheus children. Called
        under the lock."""
        key = OTHER if route == OTHER else self._endpoints.key(f"{method} {route}")
        hist = self._endpoints.items.get(key)
        if hist is None:
            hist = self._endpoints.items[key] = Histogram()
        label_method, label_route = (OTHER, OTHER) if key == OTHER else (method, route)
        series = _RequestSeries(
            key=key,
            hist=hist,
            error=status >= 500,
            count=self._child(
                "r", label_method, label_route, str(status),
                factory=lambda: prom.HTTP_REQUESTS.labels(label_method, label_route, str(status)),
            ),
            seconds=self._child(
                "rs", label_method, label_route,
                factory=lambda: prom.HTTP_REQUEST_SECONDS.labels(label_method, label_route),
            ),
        )  # fmt: skip
        return series

    def record_operation(self, name: str, duration_ms: float) -> None:
        """A duration measured with ``PerformanceTimer`` or ``@timed``."""
        if not self.enabled:
            return
        with self._lock:
            key = self._operations.add(name, duration_ms)
        self._child("op", key, factory=lambda: prom.OPERATION_SECONDS.labels(key)).observe(
            duration_ms / 1000.0
        )

    def _child(self, *key: str, factory: Callable[[], Any]) -> Any:
        """A labelled Prometheus child, looked up once (``labels()`` validates and locks).
        Label values are bounded by the callers, so this dict is too."""
        child = self._prom_children.get(key)
        if child is None:
            child = self._prom_children[key] = factory()
        return child

    # --- pools --------------------------------------------------------------------------------

    def register_pool(self, name: str, probe: PoolProbe) -> None:
        """Report a connection pool's usage (``db``, ``redis``); the probe may return None
        when the pool does not exist (yet)."""
        self._pools[name] = probe

    def unregister_pool(self, name: str) -> None:
        self._pools.pop(name, None)

    def sample_pools(self) -> dict[str, PoolUsage]:
        """Read every pool now and publish the readings to the Prometheus gauges."""
        readings: dict[str, PoolUsage] = {}
        for name, probe in list(self._pools.items()):
            try:
                usage = probe()
            except Exception:  # a probe must never break a scrape or a summary
                log.debug("pool probe %s failed", name, exc_info=True)
                continue
            if usage is None:
                continue
            readings[name] = usage
            prom.POOL_IN_USE.labels(name).set(usage.in_use)
            prom.POOL_CAPACITY.labels(name).set(usage.capacity)
            prom.POOL_USAGE.labels(name).set(usage.usage_percent / 100.0)
        return readings

    # --- reading ------------------------------------------------------------------------------

    @property
    def cache_hit_rate(self) -> float:
        with self._lock:
            self._fold_reads()
            return self._hit_rate()

    def _hit_rate(self) -> float:
        """Hits in percent of reads, from the folded totals (under the lock)."""
        total = self._cache_hits + self._cache_misses
        return 100.0 * self._cache_hits / total if total else 0.0

    def get_summary(self) -> dict[str, Any]:
        """This process's figures: hit rate, statements, endpoints with percentiles, pools."""
        self.publish()
        pools = self.sample_pools()
        with self._lock:
            self._fold_reads()
            cache_total = self._cache_hits + self._cache_misses
            queries = {
                "total": self.queries_total,
                "slow": self.slow_queries,
                "slow_percent": round(
                    100.0 * self.slow_queries / self.queries_total if self.queries_total else 0.0,
                    2,
                ),
                "slow_threshold_ms": self.slow_query_threshold_ms,
                "avg_ms": round(self._query_all.avg_ms, 3),
                "p95_ms": round(self._query_all.percentile(95), 3),
                "top": self._top_queries(10),
            }
            endpoints = {
                key: {**_stats(hist), "errors": self._endpoint_errors.get(key, 0)}
                for key, hist in sorted(self._endpoints.items.items(), key=lambda kv: -kv[1].n)
            }
            operations = {key: _stats(hist) for key, hist in self._operations.items.items()}
            every_request = Histogram.merged(self._endpoints.items.values())
            requests = {
                "total": every_request.n,
                "avg_ms": round(every_request.avg_ms, 3),
                "p95_ms": round(every_request.percentile(95), 3),
            }
            return {
                "pid": os.getpid(),
                "uptime_seconds": round(time.time() - self.started, 1),
                "cache": {
                    "hits": self._cache_hits,
                    "misses": self._cache_misses,
                    "total": cache_total,
                    "hit_rate": round(self._hit_rate(), 2),
                    "hits_by_tier": dict(self._hits_by_tier),
                    "misses_by_tier": dict(self._misses_by_tier),
                    "refreshes": self.cache_refreshes,
                },
                "queries": queries,
                "requests": requests,
                "endpoints": endpoints,
                "operations": operations,
                "pools": {name: usage.as_dict() for name, usage in pools.items()},
            }

    def _top_queries(self, n: int) -> list[dict[str, Any]]:
        by_time = sorted(self._queries.items.items(), key=lambda kv: -kv[1].total_ms)[:n]
        return [
            {"name": name, **_stats(hist), "slow": self._slow_by_name.get(name, 0)}
            for name, hist in by_time
        ]

    def reset(self) -> None:
        """Forget everything recorded (tests; a fresh measuring window). Pool probes stay;
        Prometheus counters never go back (they are monotonic by definition)."""
        self.publish()
        pools = self._pools
        self.__init__(self._explicit_threshold)  # type: ignore[misc]
        self._pools = pools


_metrics: MetricsCollector | None = None
_metrics_lock = threading.Lock()


def get_metrics() -> MetricsCollector:
    """The process-wide collector (created on first use, from settings)."""
    global _metrics
    if _metrics is None:
        with _metrics_lock:
            if _metrics is None:
                _metrics = MetricsCollector()
    return _metrics


def _publish_process_metrics() -> None:
    if _metrics is not None:
        _metrics.publish()


prom.before_render(_publish_process_metrics)


# --- timing -----------------------------------------------------------------------------------


class PerformanceTimer:
    """Time a block, sync or async: ``with PerformanceTimer("x") as t: ...; t.elapsed_ms``.

    With a name, the duration is recorded as an operation in the metrics; without one it is
    only measured. ``elapsed_ms`` reads the running time inside the block, the final after.
    """

    __slots__ = ("_end", "_start", "metrics", "name")

    def __init__(self, name: str | None = None, *, metrics: MetricsCollector | None = None) -> None:
        self.name = name
        self.metrics = metrics
        self._start: float | None = None
        self._end: float | None = None

    @property
    def elapsed_ms(self) -> float:
        if self._start is None:
            return 0.0
        end = self._end if self._end is not None else time.perf_counter()
        return (end - self._start) * 1000.0

    def __enter__(self) -> Self:
        self._end = None
        self._start = time.perf_counter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._end = time.perf_counter()
        if self.name is not None:
            (self.metrics or get_metrics()).record_operation(self.name, self.elapsed_ms)

    async def __aenter__(self) -> Self:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)


def timed(name: str | None = None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Record every call's duration under ``name`` (default: the function's qualified name).
    Works on plain and ``async def`` functions; failures are timed too."""

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        label = name or func.__qualname__
        if inspect.iscoroutinefunction(func):
            async_func: Callable[P, Coroutine[Any, Any, Any]] = func

            @functools.wraps(func)
            async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                with PerformanceTimer(label):
                    return await async_func(*args, **kwargs)

            return cast(Callable[P, R], async_wrapper)

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with PerformanceTimer(label):
                return func(*args, **kwargs)

        return wrapper

    return decorate


# --- reporting --------------------------------------------------------------------------------


def format_performance_summary(summary: dict[str, Any], top: int = 5) -> str:
    """The summary as a text block ("=== Performance Summary ===" ...)."""
    lines = [
        "=== Performance Summary ===",
        f"Cache hit rate: {summary['cache']['hit_rate']:.1f}%",
        f"Total queries: {summary['queries']['total']}",
        f"Slow queries: {summary['queries']['slow']}",
        "Top endpoints:",
    ]
    for key, stats in list(summary["endpoints"].items())[:top]:
        lines.append(f"  {key}: {stats['count']} requests, avg {stats['avg_ms']:.1f}ms")
    return "\n".join(lines)


def log_performance_summary(
    metrics: MetricsCollector | None = None, logger: logging.Logger | None = None
) -> str:
    """Log the summary text block (call it every minute or so) and return it."""
    text = format_performance_summary((metrics or get_metrics()).get_summary())
    (logger or log).info(text)
    return text
