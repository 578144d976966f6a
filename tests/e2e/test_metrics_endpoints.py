"""/metrics, /api/metrics/summary, request metrics by route template, and request ids."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from io import StringIO

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

from slotwise.api.app import create_app
from slotwise.observability.logging import build_formatter
from slotwise.observability.metrics import get_metrics

from .conftest import ADMIN, BOT, Api


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


def requests_of(metrics: dict[tuple[str, frozenset[tuple[str, str]]], float], route: str) -> float:
    return sum(
        v
        for (name, labels), v in metrics.items()
        if name == "slotwise_http_requests_total" and ("route", route) in labels
    )


async def test_requests_are_labelled_by_route_template(api: Api, client: httpx.AsyncClient) -> None:
    recruiter = await api.recruiter()
    slot = await api.slot(recruiter["id"])
    before = await scrape(client)
    for _ in range(3):
        assert (await client.get(f"/api/slots/{slot['id']}", headers=BOT)).status_code == 200
    assert (await client.get("/api/slots/999999", headers=BOT)).status_code == 404
    await client.get("/health/live")
    after = await scrape(client)

    assert (
        requests_of(after, "/api/slots/{slot_id}") - requests_of(before, "/api/slots/{slot_id}")
        == 4
    )
    raw = [labels for (name, labels) in after if name == "slotwise_http_requests_total"]
    assert not any(("route", f"/api/slots/{slot['id']}") in labels for labels in raw)
    assert not any(
        dict(labels).get("route", "").startswith(("/metrics", "/health")) for labels in raw
    )
    not_found = (
        "slotwise_http_requests_total",
        frozenset({("method", "GET"), ("route", "/api/slots/{slot_id}"), ("status", "404")}),
    )
    assert after[not_found] - before.get(not_found, 0.0) == 1

    summary = get_metrics().get_summary()
    assert summary["endpoints"]["GET /api/slots/{slot_id}"]["count"] >= 4


async def test_unmatched_paths_share_one_label(client: httpx.AsyncClient) -> None:
    before = await scrape(client)
    for i in range(5):
        await client.get(f"/no/such/path/{i}", headers=BOT)
    after = await scrape(client)
    assert requests_of(after, "unmatched") - requests_of(before, "unmatched") == 5


async def test_summary_is_admin_only_and_has_the_documented_shape(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/api/metrics/summary")).status_code == 401
    assert (await client.get("/api/metrics/summary", headers=BOT)).status_code == 403
    response = await client.get("/api/metrics/summary", headers=ADMIN)
    assert response.status_code == 200
    body = response.json()
    assert {"cache", "queries", "requests", "endpoints", "pools"} <= body.keys()
    assert {"hit_rate", "hits", "misses"} <= body["cache"].keys()
    assert {"total", "slow", "avg_ms", "p95_ms"} <= body["queries"].keys()
    assert "db" in body["pools"]
    assert 0 <= body["pools"]["db"]["usage_percent"] <= 100


async def test_queries_are_timed_by_the_engine(api: Api, client: httpx.AsyncClient) -> None:
    before = get_metrics().queries_total
    await api.city()
    await client.get("/api/cities", headers=BOT)
    assert get_metrics().queries_total > before
    names = {q["name"] for q in get_metrics().get_summary()["queries"]["top"]}
    assert any(name.startswith(("INSERT cities", "SELECT cities")) for name in names)


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    mine = "req-1234.abc"
    echoed = await client.get("/health/live", headers={"X-Request-ID": mine})
    assert echoed.headers["x-request-id"] == mine
    generated = await client.get("/api/cities", headers=BOT)
    assert len(generated.headers["x-request-id"]) == 32
    hostile = await client.get("/health/live", headers={"X-Request-ID": "a\tb" + "x" * 300})
    assert hostile.headers["x-request-id"] != "a\tb" + "x" * 300


@pytest.fixture
async def app_with_crash(engine: AsyncEngine) -> AsyncIterator[FastAPI]:
    """The real app factory plus one test-only route that fails (never in production)."""
    application = create_app()

    @application.get("/api/test-only/crash")
    async def crash() -> None:
        logging.getLogger("slotwise.test").info("about to fail")
        raise RuntimeError("planted failure")

    async with application.router.lifespan_context(application):
        yield application


async def test_request_id_on_a_500_and_in_every_log_line(app_with_crash: FastAPI) -> None:
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(build_formatter(json=True))
    root = logging.getLogger()
    root.addHandler(handler)
    request_id = uuid.uuid4().hex
    try:
        transport = httpx.ASGITransport(app=app_with_crash, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get(
                "/api/test-only/crash",
                headers={"X-Request-ID": request_id, "Authorization": "Bearer test-admin-token"},
            )
    finally:
        root.removeHandler(handler)
    assert response.status_code == 500
    assert response.headers["x-request-id"] == request_id
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    assert any(line["event"] == "about to fail" for line in lines)
    assert lines and all(line.get("request_id") == request_id for line in lines)
    assert "test-admin-token" not in stream.getvalue()


async def test_hit_rate_moves_when_cached_endpoints_are_called(
    api: Api, client: httpx.AsyncClient
) -> None:
    recruiter = await api.recruiter()
    before = (await client.get("/api/metrics/summary", headers=ADMIN)).json()["cache"]
    scraped_before = await scrape(client)
    for _ in range(5):
        response = await client.get(f"/api/recruiters/{recruiter['id']}", headers=BOT)
        assert response.status_code == 200
    after = (await client.get("/api/metrics/summary", headers=ADMIN)).json()["cache"]
    scraped_after = await scrape(client)
    assert after["hits"] - before["hits"] >= 4
    assert after["total"] - before["total"] >= 5
    assert after["hit_rate"] != before["hit_rate"] or before["total"] == 0
    tiers = [("slotwise_cache_hits_total", frozenset({("tier", t)})) for t in ("l1", "redis")]
    gained = sum(scraped_after.get(h, 0.0) - scraped_before.get(h, 0.0) for h in tiers)
    assert gained >= 4  # from the in-process tier (real Redis) or from Redis (fakeredis)
    assert "redis" in (await client.get("/api/metrics/summary", headers=ADMIN)).json()["pools"]
