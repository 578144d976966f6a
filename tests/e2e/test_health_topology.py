"""``/health/ready`` and ``/metrics`` say which Redis the cache uses (mode and primaries)."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from slotwise.cache.client import get_cache
from slotwise.observability import prometheus


def topology_samples(text: str) -> dict[tuple[str, str], float]:
    return {
        (s.labels["mode"], s.labels["primary"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "slotwise_cache_topology_info"
    }


async def test_readiness_names_the_mode_and_the_primary(client: httpx.AsyncClient) -> None:
    cache = get_cache()
    assert cache is not None
    body = (await client.get("/health/ready")).json()
    assert body["cache_mode"] == "standalone"
    assert body["cache_nodes"] == [cache.config.redacted_url().split("//")[-1].rsplit("/", 1)[0]]
    assert {"status", "database", "cache"} <= body.keys()


async def test_metrics_mark_the_primary_in_use(client: httpx.AsyncClient) -> None:
    cache = get_cache()
    assert cache is not None
    node = (await client.get("/health/ready")).json()["cache_nodes"][0]
    samples = topology_samples((await client.get("/metrics")).text)
    assert samples[("standalone", node)] == 1.0


async def test_a_primary_no_longer_in_use_drops_to_zero() -> None:
    prometheus.set_cache_topology("sentinel", ("10.9.9.1:6379",))
    prometheus.set_cache_topology("sentinel", ("10.9.9.2:6379",))
    samples = topology_samples(prometheus.render_latest().decode())
    assert samples[("sentinel", "10.9.9.1:6379")] == 0.0
    assert samples[("sentinel", "10.9.9.2:6379")] == 1.0
