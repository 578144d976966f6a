"""What the observability stack costs on a cached GET, both variants side by side in one run.

Two apps on the same database, Redis and in-process cache tier, in one process and one event
loop: the product's ``create_app`` with everything on (request id, request metrics by route
template, SQL timing, cache hit/miss counters, Prometheus families, pool sampling; the
access log off at WARNING, priced apart) and the same body without that stack
(``create_app(settings, observability=False)``, the metrics collector switched off while it
serves). Each app is served by uvicorn's own HTTP protocol on a loopback socket
(``bench.uvicorn_driver``), the client in another thread.

The access log is priced the same way in rounds of its own: ``create_app`` with the log
(its lines rendered and written to /dev/null) at the default ``SLOTWISE_ACCESS_LOG_SAMPLE``
and at 1, against ``create_app`` without it; its share of a cached hit is
``1 - without / with``, next to its target (< 3 %).

What is compared is the server's CPU time per request (``time.thread_time`` of the loop's
thread: uvicorn's parsing, the app, the socket system calls; not the client's work), in many
short rounds that alternate the variants; each variant's figure is the median of its rounds.
CPU time, not wall time: on a shared machine a round that loses the CPU to another process
gets longer, not costlier. For a worker whose CPU is the limit, throughput is 1 / CPU time
per request, so the throughput lost is ``1 - off / on``. The metrics' batches are published
by size (every ``PUBLISH_BATCH`` records: the delay is set long while the scenario runs), as
under load, where a worker serving thousands of requests a second fills a batch well before
its 50 ms delay; only the observed app records, so a publish always falls in its rounds
(charged to the stack, never to the baseline). An earlier version published after every
round of 50 requests, five times as often as a loaded worker does.

Why not the earlier figure (httpx's ``ASGITransport``, wall time, 3-15 rounds): ~150 of the
~175 µs per call were httpx's own client work (URL parsing, response objects, and its
parsing of the ``X-Request-ID`` header only one variant sends), wall time took whatever the
machine's other work did to a round, and three rounds gave it no chance to cancel out: the
result swung between 7 % and 45 %.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bench.stats import compare, interleaved, ratio
from bench.uvicorn_driver import LoopbackServer
from slotwise.api.access_log import AccessLog
from slotwise.api.app import create_app
from slotwise.api.middleware.edge import BodyLimits, EdgeMiddleware, RequestIds
from slotwise.api.observability import REQUEST_ID_HEADER, access_log_for, valid_request_id
from slotwise.observability.metrics import get_metrics
from slotwise.settings import Settings

TARGET_OVERHEAD_PERCENT = 5.0
TARGET_ACCESS_LOG_PERCENT = 3.0
#: The access log's sampling rate as deployed (the setting's default) and, when that is below
#: 1, every line: both priced.
DEFAULT_SAMPLE = Settings.model_fields["slotwise_access_log_sample"].default


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


class _Route:
    path = "/api/recruiters/{recruiter_id}"


async def _endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    scope["route"] = _Route
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def _fast_answer(scope: Scope, send: Send, extra: tuple[bytes, bytes] | None) -> int:
    """A fast path that answers every request (as ``FastPath`` does on a tier hit)."""
    scope["route"] = _Route
    headers = [(b"content-length", b"2")] if extra is None else [(b"content-length", b"2"), extra]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"{}"})
    return 200


async def _receive() -> Message:
    return {"type": "http.request", "body": b""}


async def _send(message: Message) -> None:
    return None


def _discard(text: str) -> None:
    return None


def _edge(**pieces: Any) -> ASGIApp:
    limits = BodyLimits(default=65536, routes={}, authenticated=lambda scope: True)
    return EdgeMiddleware(_endpoint, body_limits=limits, **pieces)


#: The isolated variants, each against the bare edge with the same fast path (or none).
_FAST = "_fast_answer"


async def middleware_cost(calls: int = 20_000, rounds: int = 5) -> dict[str, float]:
    """µs per request added by the edge layer's observability pieces (best of ``rounds``),
    around an empty endpoint (the request goes through the app) and around a fast path that
    answers (a tier hit): their own cost, free of the noise of a whole request. The access
    log renders and writes its lines (to nowhere) as in production."""
    ids = RequestIds(REQUEST_ID_HEADER, valid_request_id)
    stacks: dict[str, ASGIApp] = {
        "bare": _edge(),
        "request_metrics": _edge(metrics=True),
        "request_id_and_metrics": _edge(request_ids=ids, metrics=True),
        "access_log": _edge(access_log=AccessLog(_discard, sample=DEFAULT_SAMPLE)),
        "bare" + _FAST: _edge(fast_path=_fast_answer),
        "request_id_and_metrics" + _FAST: _edge(
            fast_path=_fast_answer, request_ids=ids, metrics=True
        ),
    }
    if DEFAULT_SAMPLE < 1.0:
        stacks["access_log_every_line"] = _edge(access_log=AccessLog(_discard))
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
    bare, bare_fast = best.pop("bare"), best.pop("bare" + _FAST)
    return {
        name: round(us - (bare_fast if name.endswith(_FAST) else bare), 2)
        for name, us in best.items()
    }


_SAMPLE = "slotwise_access_log_sample"


_CONTROL = "observability_on_control"


def _logged(rate: float) -> str:
    """The variant with the whole stack and the access log at ``rate``."""
    return f"access_log_{rate:g}"


def _with_access_log(app: FastAPI, log: AccessLog) -> FastAPI:
    """``app`` (built at WARNING, so without an access log) with ``log`` in its edge layer, as
    ``create_app`` wires it at INFO (without sending the bench's lines to stderr)."""
    for middleware in app.user_middleware:
        cls: object = middleware.cls
        if cls is EdgeMiddleware:
            middleware.kwargs["access_log"] = log
    app.state.access_log = log  # flushed by the lifespan's stop_observability
    return app


#: Requests per round and variant (one ``exchange`` on the keep-alive connection).
ROUND_REQUESTS = 50


async def _server_cpu(
    servers: dict[str, LoopbackServer],
    raw: bytes,
    rounds: int,
    tick: Callable[[], None] | None,
    tick_every: int,
) -> dict[str, list[float]]:
    """µs of the loop thread's CPU per request, per variant per round (rotating order)."""
    metrics = get_metrics()
    names = list(servers)
    for name, server in servers.items():  # warm-up: tier filled, answers rendered, code hot
        metrics.enabled = name != "observability_off"
        statuses = await server.exchange(raw, 200)
        if set(statuses) != {200}:
            raise RuntimeError(f"{name}: {sorted(set(statuses))}")
    samples: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            enabled = name != "observability_off"
            metrics.enabled = enabled
            start = time.thread_time_ns()
            statuses = await servers[name].exchange(raw, ROUND_REQUESTS)
            samples[name].append((time.thread_time_ns() - start) / 1000.0 / ROUND_REQUESTS)
            if statuses.count(200) != ROUND_REQUESTS:
                raise RuntimeError(f"{name}: {sorted(set(statuses))}")
        if tick is not None and index % tick_every == tick_every - 1:
            tick()
    return samples


async def _app_cpu(apps: dict[str, ASGIApp], scope: Scope, rounds: int) -> dict[str, list[float]]:
    """The same comparison on the bare ASGI call (no server): the app's own CPU time."""
    metrics = get_metrics()

    def variant(name: str) -> Callable[[], Any]:
        app, enabled = apps[name], name == "observability_on"

        async def call() -> None:
            metrics.enabled = enabled
            await app(dict(scope, headers=list(scope["headers"])), _receive, _send)

        return call

    return await interleaved(
        {name: variant(name) for name in apps},
        rounds=rounds, calls_per_round=ROUND_REQUESTS, warmup=200, clock=time.thread_time_ns,
    )  # fmt: skip


def _overhead(samples: dict[str, list[float]]) -> tuple[float, float, float]:
    """(on, off, percent of throughput lost) from the medians of the rounds."""
    result = compare(samples, baseline="observability_off")
    on = result["variants"]["observability_on"]["median"]
    off = result["variants"]["observability_off"]["median"]
    return on, off, round(100.0 * (1.0 - ratio(off, on)), 2)


async def run(
    database_url: str,
    recruiter_id: int,
    redis_url: str | None = None,
    prefix: str = "slotwise-bench-obs",
    rounds: int = 15,
    quick: bool = False,
    tick: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Server CPU µs per ``GET /api/recruiters/{id}`` (a cache hit when Redis is there) with
    the stack on and off, and the throughput lost to it in percent."""
    token = secrets.token_urlsafe(24)
    path = f"/api/recruiters/{recruiter_id}"
    raw = f"GET {path} HTTP/1.1\r\nhost: bench\r\nauthorization: Bearer {token}\r\n\r\n"
    scope: Scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000),
        "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())],
    }  # fmt: skip
    metrics = get_metrics()
    was_enabled, was_delay = metrics.enabled, metrics.publish_delay_s
    metrics.publish_delay_s = 3600.0  # batches published by size, as under load
    metrics.publish()  # and no timer left from before armed with the old delay
    settings = _settings(database_url, redis_url, prefix, token)
    server_rounds = 150 if quick else max(300, rounds * 20)
    rates = sorted({DEFAULT_SAMPLE, 1.0})
    async with AsyncExitStack() as stack:
        devnull = os.open(os.devnull, os.O_WRONLY)
        stack.callback(os.close, devnull)

        def write(text: str) -> None:  # one system call per batch, as the stream handler's
            os.write(devnull, text.encode())

        apps: dict[str, FastAPI] = {
            "observability_on": create_app(settings),
            "observability_off": create_app(settings, observability=False),
        }
        # A second app without the log, built after the logged ones: the noise floor of the
        # comparison (what two identical apps differ by), reported beside the shares.
        apps[_CONTROL] = create_app(settings)
        for rate in rates:
            log = access_log_for(settings.model_copy(update={_SAMPLE: rate}), write)
            # Batches written when full only, inside the logged app's own rounds (a timer could
            # fire in another variant's round and charge the write to it).
            log.max_delay_s = 3600.0
            apps[_logged(rate)] = _with_access_log(create_app(settings), log)
        for app in apps.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
        servers = {
            name: await stack.enter_async_context(LoopbackServer(app)) for name, app in apps.items()
        }
        try:
            every = max(1, server_rounds // rounds)  # the scenario's progress has ``rounds`` steps
            pair = ("observability_on", "observability_off")
            samples = await _server_cpu(
                {name: servers[name] for name in pair}, raw.encode(), server_rounds, tick, every
            )
            # The access log priced apart, against the whole stack without it (its own rounds:
            # the headline pair is measured as before, two variants alternating).
            logged = ("observability_on", _CONTROL, *(_logged(rate) for rate in rates))
            log_samples = await _server_cpu(
                {name: servers[name] for name in logged}, raw.encode(), server_rounds, None, 1
            )
            bare: dict[str, ASGIApp] = {name: apps[name] for name in pair}
            app_samples = await _app_cpu(bare, scope, server_rounds // 3)
        finally:
            metrics.enabled, metrics.publish_delay_s = was_enabled, was_delay
            metrics.publish()
    result = compare(samples, baseline="observability_off")
    on, off, overhead = _overhead(samples)
    app_on, app_off, app_overhead = _overhead(app_samples)
    added = await middleware_cost(calls=5_000 if quick else 20_000)
    result["middleware_us_per_request"] = added
    logs = compare(log_samples, baseline="observability_on")
    medians = {name: v["median"] for name, v in logs["variants"].items()}

    # The access log's share of a cached hit that has it: 1 - (hit without it) / (hit with it),
    # in the server; the whole stack as deployed (the log at its default rate) is the product
    # of the two side-by-side ratios: off / with = (off / on) * (on / with).
    def share(name: str) -> float:
        return round(100.0 * (1.0 - ratio(medians["observability_on"], medians[name])), 2)

    log_share = {rate: share(_logged(rate)) for rate in rates}
    control = share(_CONTROL)
    deployed = round(100.0 - (100.0 - overhead) * (100.0 - log_share[DEFAULT_SAMPLE]) / 100.0, 2)
    result["access_log"] = {
        "variants": logs["variants"],
        "default_sample": DEFAULT_SAMPLE,
        "percent_of_cached_hit_by_sample": {str(rate): share for rate, share in log_share.items()},
        "target_percent": TARGET_ACCESS_LOG_PERCENT,
        "control_percent": control,
        "stack_with_access_log_percent": deployed,
        "note": "server CPU per cached hit with the access log (to /dev/null) vs without it",
    }
    result["app_only"] = {
        "on_us": app_on, "off_us": app_off, "overhead_percent": app_overhead,
        "note": "the bare ASGI call, no server: the stack's share of the app's own work",
    }  # fmt: skip
    shares = ", ".join(
        f"{log_share[rate]:.1f}% at sample {rate:g}{' (default)' if rate == DEFAULT_SAMPLE else ''}"
        for rate in sorted(rates, reverse=True)
    )
    result.update(
        path="GET /api/recruiters/{recruiter_id}",
        cached=redis_url is not None,
        clock="thread_time of the server's loop thread, median of rounds",
        rounds=server_rounds,
        requests_per_round=ROUND_REQUESTS,
        overhead_percent=overhead,
        target_percent=TARGET_OVERHEAD_PERCENT,
        summary=(
            f"server CPU {on:.1f} µs vs {off:.1f} µs per request (median of {server_rounds} "
            f"rounds): {overhead:.1f}% of throughput (target ≤ {TARGET_OVERHEAD_PERCENT:.0f}%); "
            f"the access log {shares} of a cached hit (target < "
            f"{TARGET_ACCESS_LOG_PERCENT:.0f}%; a second app without it {control:+.1f}%), "
            f"the stack with it {deployed:.1f}%; "
            f"the app alone {app_on:.1f} vs {app_off:.1f} µs; the edge pieces alone add "
            f"{added['request_id_and_metrics' + _FAST]:.1f} µs to a fast answer and "
            f"{added['request_id_and_metrics']:.1f} µs to one from the app (request id + "
            f"metrics), the access log {added['access_log']:.1f} µs"
            + (
                f" ({added['access_log_every_line']:.1f} µs at sample 1)"
                if "access_log_every_line" in added
                else ""
            )
        ),
    )
    return result
