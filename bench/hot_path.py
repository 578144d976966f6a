"""The cached hot path, layer by layer, in-process: µs per request with no network and no
uvicorn, every variant side by side in interleaved rounds.

The app is driven through its ASGI interface with a prepared scope (what uvicorn would hand
it), so each figure is the application's own CPU time plus the Redis round trip:

* ``constant_json_fastapi``: ``bench.ceiling`` (FastAPI returning a constant dict);
* ``fast_path_*``: a cached hit answered by ``slotwise.api.fast_path`` (the product);
* ``fastapi_*``: the same hit with the fast path off (``SLOTWISE_FAST_PATH=false``): auth
  dependency, unit of work, repository, decorator, response through FastAPI;
* ``redis_lookup_*``: the cache's own lookup of the same key alone (one MGET);
* ``edge_layer``: the edge middleware around an endpoint that sends constant bytes.

The differences are the layers: FastAPI machinery = ``fastapi_*`` - ``fast_path_*``;
the fast path's own work = ``fast_path_*`` - ``redis_lookup_*`` - ``edge_layer``. Also counted:
the reference cycles a request leaves for the collector (0 means reference counting frees
everything).
"""

from __future__ import annotations

import gc
import secrets
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from bench.ceiling import app as ceiling_app
from bench.stats import compare, interleaved, ratio
from slotwise.api.app import create_app
from slotwise.api.cached_pages import slots_page_key
from slotwise.api.middleware.edge import BodyLimits, EdgeMiddleware
from slotwise.cache.client import get_cache
from slotwise.cache.keys import check_key
from slotwise.cache.layout import Miss
from slotwise.domain.models import SlotStatus
from slotwise.repositories import SlotFilters
from slotwise.repositories.cache_keys import CacheKeys
from slotwise.settings import Settings


class _Sink:
    def __init__(self) -> None:
        self.status = 0

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def _scope(path: str, query: bytes, token: str) -> Scope:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query,
        "root_path": "", "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000),
        "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())],
        "state": {},
    }  # fmt: skip


def _caller(app: Any, path: str, query: bytes, token: str) -> Callable[[], Awaitable[None]]:
    async def call() -> None:
        sink = _Sink()
        await app(_scope(path, query, token), _receive, sink)
        if sink.status != 200:
            raise RuntimeError(f"GET {path}?{query.decode()} -> {sink.status}")

    return call


async def _constant(scope: Scope, receive: Receive, send: Send) -> None:
    body = b'{"id":1}'
    headers = [(b"content-length", b"8"), (b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _settings(database_url: str, redis_url: str, prefix: str, token: str, fast: bool) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        cache_enabled=True,
        cache_key_prefix=prefix,
        slotwise_admin_tokens=token,
        slotwise_bot_tokens=[],
        slotwise_log_level="WARNING",
        slotwise_fast_path=fast,
    )


async def _cycles_per_request(call: Callable[[], Awaitable[None]], requests: int = 300) -> float:
    """Objects the collector finds unreachable after ``requests`` calls, per call."""
    gc.collect()
    gc.disable()
    try:
        for _ in range(requests):
            await call()
        return gc.collect() / requests
    finally:
        gc.enable()


async def run(
    database_url: str,
    redis_url: str,
    recruiter_id: int,
    prefix: str,
    *,
    rounds: int = 15,
    quick: bool = False,
    tick: Callable[[], None] | None = None,
) -> dict[str, Any]:
    token = secrets.token_urlsafe(24)
    slots_query = f"recruiter_id={recruiter_id}&status=free&limit=100".encode()
    recruiter_path = f"/api/recruiters/{recruiter_id}"
    async with AsyncExitStack() as stack:
        apps: dict[str, FastAPI] = {}
        for name, fast in (("fast", True), ("fastapi", False)):
            app = create_app(_settings(database_url, redis_url, prefix, token, fast))
            await stack.enter_async_context(app.router.lifespan_context(app))
            apps[name] = app
        cache = get_cache()
        if cache is None or not cache.available:
            raise RuntimeError("the cache is not connected")
        limits = BodyLimits(default=65536, routes={}, authenticated=lambda scope: True)
        edge = EdgeMiddleware(_constant, body_limits=limits, metrics=True)
        page = SlotFilters(recruiter_id=recruiter_id, status=SlotStatus.FREE)
        keys = {
            "recruiter": check_key(CacheKeys.recruiter(recruiter_id)),
            "slots": check_key(slots_page_key(page, 100, 0, True)),  # the admin's view
        }

        def lookup(key: str) -> Callable[[], Awaitable[None]]:
            async def call() -> None:
                if isinstance(await cache.lookup(key, lock=False), Miss):
                    raise RuntimeError(f"{key}: not cached")

            return call

        variants: dict[str, Callable[[], Awaitable[None]]] = {
            "constant_json_fastapi": _caller(ceiling_app, "/api/constant", b"", token),
            "fast_path_slots": _caller(apps["fast"], "/api/slots", slots_query, token),
            "fastapi_slots": _caller(apps["fastapi"], "/api/slots", slots_query, token),
            "fast_path_recruiter": _caller(apps["fast"], recruiter_path, b"", token),
            "fastapi_recruiter": _caller(apps["fastapi"], recruiter_path, b"", token),
            "redis_lookup_slots": lookup(keys["slots"]),
            "redis_lookup_recruiter": lookup(keys["recruiter"]),
            "edge_layer": _caller(edge, "/api/x", b"", token),
        }
        for call in variants.values():  # fill the cache, warm the code paths
            await call()
        samples = await interleaved(
            variants,
            rounds=max(3, rounds // 3) if quick else rounds,
            calls_per_round=100 if quick else 300,
            warmup=20,
            on_round=tick,
        )
        cycles = {
            name: round(await _cycles_per_request(variants[name]), 2)
            for name in ("fast_path_recruiter", "fastapi_recruiter", "fastapi_slots")
        }
    result = compare(samples, baseline="constant_json_fastapi")
    med = {name: values["median"] for name, values in result["variants"].items()}
    result["layers_us"] = {
        key: {
            "fastapi_machinery": round(med[f"fastapi_{key}"] - med[f"fast_path_{key}"], 1),
            "redis_lookup": round(med[f"redis_lookup_{key}"], 1),
            "edge_layer": round(med["edge_layer"], 1),
            "fast_path_own": round(
                med[f"fast_path_{key}"] - med[f"redis_lookup_{key}"] - med["edge_layer"], 1
            ),
        }
        for key in ("slots", "recruiter")
    }
    result["throughput_vs_ceiling"] = {
        name: ratio(med["constant_json_fastapi"], med[name])
        for name in ("fast_path_slots", "fastapi_slots", "fast_path_recruiter", "fastapi_recruiter")
    }
    result["cycles_per_request"] = cycles
    result["summary"] = (
        f"cached hit in-process: slots {med['fast_path_slots']:.0f} µs (fast path) vs "
        f"{med['fastapi_slots']:.0f} µs (FastAPI), recruiter {med['fast_path_recruiter']:.0f} "
        f"vs {med['fastapi_recruiter']:.0f} µs; constant JSON {med['constant_json_fastapi']:.0f}"
        f" µs; of which the Redis lookup {med['redis_lookup_slots']:.0f} / "
        f"{med['redis_lookup_recruiter']:.0f} µs, the edge layer {med['edge_layer']:.0f} µs"
    )
    return result
