"""The metrics API of the user's document: names, shapes, timers, bounded storage."""

from __future__ import annotations

import asyncio
import logging
import math
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slotwise.observability.histogram import (
    _EDGES,
    Histogram,
    bucket_bounds,
    bucket_by_log,
    bucket_index,
)
from slotwise.observability.metrics import (
    L1_TIER,
    OTHER,
    REDIS_TIER,
    MetricsCollector,
    PerformanceTimer,
    PoolUsage,
    format_performance_summary,
    get_metrics,
    log_performance_summary,
    timed,
)


@pytest.fixture
def metrics() -> MetricsCollector:
    return MetricsCollector(slow_query_threshold_ms=100.0)


def test_get_metrics_is_one_collector_per_process() -> None:
    assert get_metrics() is get_metrics()


def test_the_documents_example(metrics: MetricsCollector) -> None:
    metrics.record_query("User.get", 45.2)
    metrics.record_cache_hit()
    metrics.record_cache_hit()
    metrics.record_cache_hit()
    metrics.record_cache_miss()
    summary = metrics.get_summary()
    assert f"{summary['cache']['hit_rate']:.2f}" == "75.00"
    assert summary["queries"]["total"] == 1
    assert summary["queries"]["avg_ms"] == pytest.approx(45.2)


def test_hits_and_misses_by_tier(metrics: MetricsCollector) -> None:
    """An l1 miss went on to Redis: only a Redis miss is a miss of the cache as a whole."""
    metrics.record_cache_hit(L1_TIER)
    metrics.record_cache_miss(L1_TIER)
    metrics.record_cache_hit(REDIS_TIER)
    metrics.record_cache_miss(L1_TIER)
    metrics.record_cache_miss(REDIS_TIER)
    cache = metrics.get_summary()["cache"]
    assert (cache["hits"], cache["misses"], cache["total"]) == (2, 1, 3)
    assert cache["hits_by_tier"] == {"l1": 1, "redis": 1}
    assert cache["misses_by_tier"] == {"l1": 2, "redis": 1}


def test_hit_rate_is_zero_without_reads(metrics: MetricsCollector) -> None:
    assert metrics.get_summary()["cache"]["hit_rate"] == 0.0


def test_slow_queries_are_those_over_the_threshold(metrics: MetricsCollector) -> None:
    for ms in (10.0, 100.0, 100.5, 250.0):
        metrics.record_query("SELECT slots", ms)
    queries = metrics.get_summary()["queries"]
    assert queries["slow"] == 2
    assert queries["slow_percent"] == 50.0
    assert queries["top"][0]["slow"] == 2


def test_query_p95_is_within_the_histograms_precision(metrics: MetricsCollector) -> None:
    for ms in range(1, 101):
        metrics.record_query("q", float(ms))
    p95 = metrics.get_summary()["queries"]["p95_ms"]
    assert 95 * 0.9 <= p95 <= 95 * 1.1


def test_endpoint_stats(metrics: MetricsCollector) -> None:
    for ms in (10.0, 20.0, 30.0, 40.0):
        metrics.record_request("GET", "/api/slots/{slot_id}", 200, ms)
    metrics.record_request("GET", "/api/slots/{slot_id}", 503, 5.0)
    stats = metrics.get_summary()["endpoints"]["GET /api/slots/{slot_id}"]
    assert stats["count"] == 5
    assert stats["avg_ms"] == pytest.approx(21.0)
    assert stats["p50_ms"] <= stats["p95_ms"] <= stats["p99_ms"] <= 40.0
    assert stats["errors"] == 1


def test_endpoints_are_listed_busiest_first(metrics: MetricsCollector) -> None:
    metrics.record_request("GET", "/a", 200, 1.0)
    for _ in range(3):
        metrics.record_request("GET", "/b", 200, 1.0)
    assert list(metrics.get_summary()["endpoints"]) == ["GET /b", "GET /a"]


def test_distinct_names_are_capped(metrics: MetricsCollector) -> None:
    for i in range(metrics.MAX_NAMES * 3):
        metrics.record_query(f"name-{i}", 1.0)
        metrics.record_request("GET", f"/route-{i}", 200, 1.0)
    assert len(metrics._queries.items) == metrics.MAX_NAMES
    assert len(metrics._endpoints.items) == metrics.MAX_NAMES
    assert metrics._queries.items[OTHER].n == metrics.MAX_NAMES * 2 + 1
    assert metrics.queries_total == metrics.MAX_NAMES * 3


def test_pools_report_usage_and_skip_broken_probes(metrics: MetricsCollector) -> None:
    metrics.register_pool("db", lambda: PoolUsage(in_use=8, capacity=10))
    metrics.register_pool("absent", lambda: None)

    def broken() -> PoolUsage:
        raise RuntimeError("probe failed")

    metrics.register_pool("redis", broken)
    pools = metrics.get_summary()["pools"]
    assert pools == {"db": {"in_use": 8, "max": 10, "usage_percent": 80.0}}


def test_disabled_collector_records_nothing(metrics: MetricsCollector) -> None:
    metrics.enabled = False
    metrics.record_cache_hit()
    metrics.record_query("q", 1.0)
    metrics.record_request("GET", "/x", 200, 1.0)
    summary = metrics.get_summary()
    assert summary["cache"]["total"] == 0 and summary["queries"]["total"] == 0
    assert summary["requests"]["total"] == 0


def test_reset_forgets_counts_but_keeps_pools(metrics: MetricsCollector) -> None:
    metrics.register_pool("db", lambda: PoolUsage(1, 10))
    metrics.record_cache_hit()
    metrics.reset()
    summary = metrics.get_summary()
    assert summary["cache"]["hits"] == 0
    assert "db" in summary["pools"]


def test_performance_timer_sync(metrics: MetricsCollector) -> None:
    with PerformanceTimer("expensive_operation", metrics=metrics) as timer:
        time.sleep(0.002)
        running = timer.elapsed_ms
    assert running > 0
    assert timer.elapsed_ms >= running
    assert timer.elapsed_ms == timer.elapsed_ms  # frozen after the block
    assert metrics.get_summary()["operations"]["expensive_operation"]["count"] == 1


async def test_performance_timer_async(metrics: MetricsCollector) -> None:
    async with PerformanceTimer("awaited", metrics=metrics) as timer:
        await asyncio.sleep(0.002)
    assert timer.elapsed_ms > 0
    assert metrics.get_summary()["operations"]["awaited"]["count"] == 1


def test_unnamed_timer_only_measures(metrics: MetricsCollector) -> None:
    with PerformanceTimer(metrics=metrics) as timer:
        pass
    assert timer.elapsed_ms >= 0
    assert metrics.get_summary()["operations"] == {}


def test_timed_sync_and_async_keep_the_wrapped_function() -> None:
    get_metrics().reset()

    @timed("get_users")
    async def get_users(n: int) -> list[int]:
        """Docstring kept."""
        return list(range(n))

    @timed()
    def plain(x: int) -> int:
        return x * 2

    assert asyncio.run(get_users(3)) == [0, 1, 2]
    assert plain(4) == 8
    assert get_users.__name__ == "get_users" and get_users.__doc__ == "Docstring kept."
    assert asyncio.iscoroutinefunction(get_users)
    operations = get_metrics().get_summary()["operations"]
    assert operations["get_users"]["count"] == 1
    assert operations[plain.__qualname__]["count"] == 1


def test_timed_records_failures_too() -> None:
    get_metrics().reset()

    @timed("fails")
    def fails() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError):
        fails()
    assert get_metrics().get_summary()["operations"]["fails"]["count"] == 1


def test_log_performance_summary_in_the_documents_format(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics = MetricsCollector(slow_query_threshold_ms=100.0)
    for _ in range(7):
        metrics.record_cache_hit()
    metrics.record_cache_miss()
    metrics.record_query("a", 150.0)
    metrics.record_query("b", 1.0)
    metrics.record_request("GET", "/api/slots", 200, 125.5)
    metrics.record_request("GET", "/api/recruiters", 200, 85.2)
    metrics.record_request("GET", "/api/slots", 200, 125.5)
    with caplog.at_level(logging.INFO, logger="slotwise.metrics"):
        text = log_performance_summary(metrics)
    assert text == (
        "=== Performance Summary ===\n"
        "Cache hit rate: 87.5%\n"
        "Total queries: 2\n"
        "Slow queries: 1\n"
        "Top endpoints:\n"
        "  GET /api/slots: 2 requests, avg 125.5ms\n"
        "  GET /api/recruiters: 1 requests, avg 85.2ms"
    )
    assert text in caplog.text


def test_format_lists_at_most_top_endpoints(metrics: MetricsCollector) -> None:
    for i in range(10):
        metrics.record_request("GET", f"/r{i}", 200, 1.0)
    text = format_performance_summary(metrics.get_summary(), top=3)
    assert text.count("requests, avg") == 3


@pytest.mark.parametrize("ms", [0.0, 0.005, 0.01, 0.5, 1.0, 37.3, 999.0, 1e6])
def test_histogram_buckets_contain_their_values(ms: float) -> None:
    low, high = bucket_bounds(bucket_index(ms))
    assert low <= ms <= high or bucket_index(ms) == 174


def test_histogram_single_sample_is_exact() -> None:
    hist = Histogram()
    hist.add(12.345)
    assert hist.percentile(50) == hist.percentile(99) == 12.345


def test_histogram_percentiles_are_ordered() -> None:
    hist = Histogram()
    for i in range(1000):
        hist.add(0.1 * (i + 1))
    assert hist.percentile(50) <= hist.percentile(95) <= hist.percentile(99) <= 100.0
    assert 50 * 0.9 <= hist.percentile(50) <= 50 * 1.1


def _state(hist: Histogram) -> tuple[list[int], int, float, float]:
    return hist.counts, hist.n, hist.min_ms, hist.max_ms


@given(
    st.lists(
        st.floats(min_value=0.0, max_value=1e6, allow_nan=False)
        | st.sampled_from([bucket_bounds(i)[1] for i in range(0, 175, 7)]),  # on the bounds
        max_size=300,
    )
)
def test_a_sorted_batch_fills_the_buckets_one_add_per_sample_fills(samples: list[float]) -> None:
    one_by_one, batch = Histogram(), Histogram()
    for ms in samples:
        one_by_one.add(ms)
    batch.add_sorted(sorted(samples))
    assert _state(batch) == _state(one_by_one)
    assert batch.total_ms == pytest.approx(one_by_one.total_ms)


def test_merged_histograms_hold_every_sample() -> None:
    parts = [Histogram() for _ in range(3)]
    whole = Histogram()
    for i in range(300):
        parts[i % 3].add(0.01 * (i + 1))
        whole.add(0.01 * (i + 1))
    merged = Histogram.merged(parts)
    assert _state(merged) == _state(whole)
    assert merged.percentile(95) == whole.percentile(95)
    assert Histogram.merged([]).n == 0


@given(st.floats(min_value=0.0, max_value=1e9, allow_nan=False))
def test_the_bisected_bucket_is_the_formulas(ms: float) -> None:
    assert bucket_index(ms) == bucket_by_log(ms)
    for near in (math.nextafter(ms, 0.0), math.nextafter(ms, math.inf)):
        assert bucket_index(near) == bucket_by_log(near)


def test_every_bucket_edge_is_where_the_formula_puts_it() -> None:
    for index, edge in enumerate(_EDGES):
        assert bucket_by_log(math.nextafter(edge, 0.0)) <= index < bucket_by_log(edge)
        assert bucket_index(math.nextafter(edge, 0.0)) == bucket_by_log(math.nextafter(edge, 0.0))
        assert bucket_index(edge) == bucket_by_log(edge)
