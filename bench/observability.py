"""What the observability stack costs on a cached GET, both variants side by side in one run.

Two apps on the same database and Redis: the product's ``create_app`` with everything on
(request id, request metrics by route template, SQL timing, cache hit/miss counters,
Prometheus families, pool sampling), and the same composition without that stack
(``bench.apps.app_without_observability``) with the metrics collector switched off while it
serves. Requests go through the ASGI interface in-process (httpx), so the figure leaves out
the network and uvicorn: the overhead is measured against the app's own work only, which
makes it an upper bound of what a client sees. Rounds alternate the variants
(``bench.stats.interleaved``).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bench.apps import app_without_observability
from bench.stats import compare, interleaved, ratio
from slotwise.api.access_log import AccessLog
from slotwise.api.app import create_app
from slotwise.api.middleware.edge import BodyLimits, EdgeMiddleware, RequestIds
from slotwise.api.observability import REQUEST_ID_HEADER, valid_request_id
from slotwise.observability.metrics import get_metrics
from slotwise.settings import Settings

TARGET_OVERHEAD_PERCENT = 5.0


def _settings(database_url: str, redis_url: str | None, prefix: str, token: str) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        cache_enabled=redis_url is not None,
        cache_key_prefix=prefix,
        slotwise_admin_tokens=token,  # a comma-separated string, split by the validator
        slotwise_bot_tokens=[],
        slotwise_log_level="WARNING",
    )


async def _client(stack: AsyncExitStack, app: FastAPI) -> httpx.AsyncClient:
    await stack.enter_async_context(app.router.lifespan_context(app))
    transport = httpx.ASGITransport(app=app)
    return await stack.enter_async_context(
        httpx.AsyncClient(transport=transport, base_url="http://bench")
    )


class _Route:
    path = "/api/recruiters/{recruiter_id}"


async def _endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    scope["route"] = _Route
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def _receive() -> Message:
    return {"type": "http.request", "body": b""}


async def _send(message: Message) -> None:
    return None


def _discard(text: str) -> None:
    return None


def _edge(**observability: Any) -> ASGIApp:
    limits = BodyLimits(default=65536, routes={}, authenticated=lambda scope: True)
    return EdgeMiddleware(_endpoint, body_limits=limits, **observability)


async def middleware_cost(calls: int = 20_000, rounds: int = 5) -> dict[str, float]:
    """µs per request added by the edge layer's observability pieces around an empty endpoint
    (best of ``rounds``): their own cost, free of the noise of a whole request. The access
    log renders and writes its lines (to nowhere) as in production."""
    ids = RequestIds(REQUEST_ID_HEADER, valid_request_id)
    stacks: dict[str, ASGIApp] = {
        "bare": _edge(),
        "request_metrics": _edge(metrics=True),
        "request_id_and_metrics": _edge(request_ids=ids, metrics=True),
        "access_log": _edge(access_log=AccessLog(_discard)),
    }
    metrics = get_metrics()
    was_enabled, metrics.enabled = metrics.enabled, True
    best: dict[str, float] = {}
    try:
        for _ in range(rounds):
            for name, app in stacks.items():
                start = time.perf_counter()
                for _ in range(calls):
                    scope = {"type": "http", "path": "/api/recruiters/1", "method": "GET",
                             "headers": []}  # fmt: skip
                    await app(scope, _receive, _send)
                us = (time.perf_counter() - start) / calls * 1e6
                best[name] = min(best.get(name, us), us)
    finally:
        metrics.enabled = was_enabled
    bare = best.pop("bare")
    return {name: round(us - bare, 2) for name, us in best.items()}


async def run(
    database_url: str,
    recruiter_id: int,
    redis_url: str | None = None,
    prefix: str = "slotwise-bench-obs",
    rounds: int = 15,
    quick: bool = False,
    tick: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Median µs per ``GET /api/recruiters/{id}`` (a cache hit when Redis is there) with the
    stack on and off, and the throughput lost to it in percent."""
    token = secrets.token_urlsafe(24)
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/api/recruiters/{recruiter_id}"
    metrics = get_metrics()
    was_enabled = metrics.enabled
    settings = _settings(database_url, redis_url, prefix, token)
    async with AsyncExitStack() as stack:
        clients = {
            "observability_on": await _client(stack, create_app(settings)),
            "observability_off": await _client(stack, app_without_observability(settings)),
        }

        def variant(name: str) -> Callable[[], Any]:
            client, enabled = clients[name], name == "observability_on"

            async def call() -> None:
                metrics.enabled = enabled
                response = await client.get(path, headers=headers)
                if response.status_code != 200:
                    raise RuntimeError(f"{name}: GET {path} -> {response.status_code}")

            return call

        try:
            samples = await interleaved(
                {name: variant(name) for name in clients},
                rounds=max(3, rounds // 3) if quick else rounds,
                calls_per_round=100 if quick else 300,
                warmup=20,
                on_round=tick,
            )
        finally:
            metrics.enabled = was_enabled
    result = compare(samples, baseline="observability_off")
    added = await middleware_cost(calls=5_000 if quick else 20_000)
    result["middleware_us_per_request"] = added
    on = result["variants"]["observability_on"]["median"]
    off = result["variants"]["observability_off"]["median"]
    # Throughput is 1/latency for sequential requests: lost share = 1 - off/on.
    overhead = round(100.0 * (1.0 - ratio(off, on)), 2)
    # The access log is off in both apps (WARNING): its share of a cached hit, from its cost.
    result["access_log_percent_of_cached_hit"] = round(
        100.0 * added["access_log"] / (off + added["access_log"]), 2
    )
    result.update(
        path="GET /api/recruiters/{recruiter_id}",
        cached=redis_url is not None,
        overhead_percent=overhead,
        target_percent=TARGET_OVERHEAD_PERCENT,
        summary=(
            f"{on:.0f} µs vs {off:.0f} µs per request (median): "
            f"{overhead:.1f}% of throughput (target ≤ {TARGET_OVERHEAD_PERCENT:.0f}%); "
            f"middlewares alone add {added['request_id_and_metrics']:.1f} µs per request"
        ),
    )
    return result
