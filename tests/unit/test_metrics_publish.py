"""Requests and cache counts reach Prometheus in batches (``MetricsCollector.publish``): the
same exposition as one ``observe`` per sample, a bounded delay, and no stale scrape."""

from __future__ import annotations

import asyncio
import sys
import threading
import uuid
from bisect import bisect_left

import pytest
from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest

from slotwise.observability import prometheus as prom
from slotwise.observability.metrics import (
    PUBLISH_BATCH,
    PUBLISH_DELAY_S,
    MetricsCollector,
    get_metrics,
)

VALUES_S = [0.0, 0.004, 0.005, 0.0051, 0.01, 0.3, 2.5, 9.9, 10.0, 11.0, 1e6]


def _requests(route: str, status: str = "200") -> float | None:
    return REGISTRY.get_sample_value(
        "slotwise_http_requests_total", {"method": "GET", "route": route, "status": status}
    )


def _seconds_count(route: str) -> float | None:
    return REGISTRY.get_sample_value(
        "slotwise_http_request_duration_seconds_count", {"method": "GET", "route": route}
    )


def _exposition(observe_batch: bool) -> bytes:
    registry = CollectorRegistry()
    child = Histogram(
        "t_seconds", "t", ["r"], buckets=prom.REQUEST_BUCKETS, registry=registry
    ).labels("x")
    if observe_batch:
        buckets = [0] * len(prom.REQUEST_BOUNDS)
        for value in VALUES_S:
            buckets[bisect_left(prom.REQUEST_BOUNDS, value)] += 1
        prom.observe_batch(child, buckets, sum(VALUES_S))
    else:
        for value in VALUES_S:
            child.observe(value)
    return b"\n".join(
        line for line in generate_latest(registry).splitlines() if b"_created" not in line
    )


def test_a_batch_writes_what_one_observe_per_value_writes() -> None:
    assert _exposition(observe_batch=True) == _exposition(observe_batch=False)


def test_without_a_loop_every_record_is_published_at_once() -> None:
    route = f"/t/{uuid.uuid4().hex}"
    MetricsCollector(100.0).record_request("GET", route, 200, 3.0)
    assert _requests(route) == 1.0
    assert _seconds_count(route) == 1.0


async def test_in_a_loop_records_wait_at_most_the_publish_delay() -> None:
    metrics = MetricsCollector(100.0)
    route = f"/t/{uuid.uuid4().hex}"
    metrics.record_request("GET", route, 200, 3.0)
    metrics.record_request("GET", route, 503, 3.0)
    metrics.record_cache_hit("l1")
    hits_before = REGISTRY.get_sample_value("slotwise_cache_hits_total", {"tier": "l1"}) or 0.0
    assert _requests(route) is None  # pending
    await asyncio.sleep(PUBLISH_DELAY_S * 3)
    assert _requests(route) == 1.0 and _requests(route, "503") == 1.0
    assert _seconds_count(route) == 2.0
    bucket = {"method": "GET", "route": route, "le": "0.005"}  # 3 ms lies in (0, 5 ms]
    assert REGISTRY.get_sample_value("slotwise_http_request_duration_seconds_bucket", bucket) == 2
    assert REGISTRY.get_sample_value("slotwise_cache_hits_total", {"tier": "l1"}) == (
        hits_before + 1
    )
    assert metrics.get_summary()["endpoints"][f"GET {route}"]["errors"] == 1


async def test_a_full_batch_is_published_at_once() -> None:
    metrics = MetricsCollector(100.0)
    route = f"/t/{uuid.uuid4().hex}"
    for _ in range(PUBLISH_BATCH):
        metrics.record_request("GET", route, 200, 1.0)
    assert _requests(route) == PUBLISH_BATCH


async def test_a_scrape_and_a_summary_see_every_record() -> None:
    route = f"/t/{uuid.uuid4().hex}"
    get_metrics().record_request("GET", route, 200, 1.0)
    text = prom.render_latest().decode()
    assert f'route="{route}",status="200"}} 1.0' in text
    metrics = MetricsCollector(100.0)
    metrics.record_request("GET", "/a", 200, 1.0)
    assert metrics.get_summary()["endpoints"]["GET /a"]["count"] == 1


def test_bound_series_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    metrics = MetricsCollector(100.0)
    monkeypatch.setattr(metrics, "MAX_SERIES", 10)
    for i in range(50):
        metrics.record_request(f"M{i}", "unmatched", 405, 1.0)
    assert len(metrics._request_series) == 10
    assert metrics.get_summary()["requests"]["total"] == 50


def test_records_from_threads_are_never_lost_while_batches_are_published() -> None:
    """Records are appended without a lock while another thread publishes: a publish drains
    what is there and never drops a list another thread is appending to."""
    metrics = MetricsCollector(100.0)
    route = f"/t/{uuid.uuid4().hex}"
    per_thread, threads = 20_000, 4
    done = threading.Event()

    def record() -> None:
        for _ in range(per_thread):
            metrics.record_request("GET", route, 200, 1.0)
            metrics.record_cache_hit("l1")

    def publish() -> None:
        while not done.is_set():
            metrics.publish()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch as often as they can: races show
    try:
        publisher = threading.Thread(target=publish)
        publisher.start()
        recorders = [threading.Thread(target=record) for _ in range(threads)]
        for thread in recorders:
            thread.start()
        for thread in recorders:
            thread.join()
        done.set()
        publisher.join()
    finally:
        sys.setswitchinterval(interval)
    summary = metrics.get_summary()
    assert summary["endpoints"][f"GET {route}"]["count"] == per_thread * threads
    assert summary["cache"]["hits_by_tier"] == {"l1": per_thread * threads}
    assert _requests(route) == per_thread * threads


async def test_the_publish_delay_is_the_collectors_own() -> None:
    metrics = MetricsCollector(100.0)
    metrics.publish_delay_s = 3600.0  # the benchmark's setting: batches go out by size only
    route = f"/t/{uuid.uuid4().hex}"
    metrics.record_request("GET", route, 200, 1.0)
    await asyncio.sleep(PUBLISH_DELAY_S * 3)
    assert _requests(route) is None
    for _ in range(PUBLISH_BATCH - 1):
        metrics.record_request("GET", route, 200, 1.0)
    assert _requests(route) == PUBLISH_BATCH
