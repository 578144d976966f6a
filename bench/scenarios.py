"""The scenarios, in the order they run, each a small function over the BenchContext.

In-process scenarios run first (no servers yet), then the HTTP ones, memory right after the
HTTP workload (both servers then served the same requests), and the Zipf workload last (it
writes). A scenario whose prerequisite is missing (no Redis, no cache) is reported as skipped.
"""

from __future__ import annotations

from typing import Any

from bench import (
    cache_control,
    cache_hit,
    environment,
    fetch,
    hot_path,
    http,
    queries,
    tier_delay,
    topologies,
    workload,
)
from bench import observability as observability_bench
from bench.context import BenchContext, ScenarioSpec, Skip, Tick
from slotwise.persistence import db


def _need_cache(ctx: BenchContext) -> str:
    if not ctx.redis.url:
        raise Skip("no Redis reachable")
    if not cache_control.available():
        raise Skip("slotwise.cache.client is not installed yet")
    return ctx.redis.url


def _need_cached_repositories(ctx: BenchContext) -> None:
    from slotwise.repositories import RecruiterRepository

    _need_cache(ctx)
    if not cache_control.is_cached(RecruiterRepository.get):
        raise Skip("the repositories' reads are not cached (no @cached on RecruiterRepository.get)")


def _quick(ctx: BenchContext) -> bool:
    return ctx.mode.name == "quick"


async def list_100(ctx: BenchContext, tick: Tick) -> dict[str, Any]:
    return await queries.run(ctx.engine, rounds=ctx.mode.rounds, quick=_quick(ctx), tick=tick)


async def single_fetch_repository(ctx: BenchContext, tick: Tick) -> dict[str, Any]:
    _need_cached_repositories(ctx)
    async with cache_control.connected():
        return await fetch.single_fetch(
            ctx.engine,
            recruiter_id=ctx.dataset.recruiter_ids[0],
            slot_id=ctx.dataset.free_slot_ids[0],
            rounds=ctx.mode.rounds,
            calls=ctx.mode.fetch_calls,
            tick=tick,
        )


async def repeated_reads(ctx: BenchContext, tick: Tick) -> dict[str, Any]:
    _need_cached_repositories(ctx)
    async with cache_control.connected():
        return await fetch.repeated_reads(
            ctx.engine,
            recruiter_id=ctx.dataset.recruiter_ids[0],
            reads=ctx.mode.repeated_reads,
            rounds=ctx.mode.rounds * 2,
            tick=tick,
        )


async def hit_cost(ctx: BenchContext, tick: Tick) -> dict[str, Any]:
    url = _need_cache(ctx)
    # The invalidation test writes up to a million keys: into a throwaway redis-server,
    # never the shared one (without a redis-server binary that part reports itself skipped).
    async with environment.private_redis_server() as private_url:
        result = await cache_hit.run(
            url,
            private_redis_url=private_url,
            session_factory=db.build_session_factory(ctx.engine),
            recruiter_id=ctx.dataset.recruiter_ids[0],
            quick=_quick(ctx),
            unrelated_keys=ctx.mode.invalidation_keys,
            prefix=ctx.redis.prefix,
        )
    tick()
    result["source"] = "bench.cache_hit.run"
    return result


async def _http_servers(ctx: BenchContext) -> dict[str, Any]:
    return {
        "cache_on": await ctx.server("cache_on"),
        "cache_off": await ctx.server("cache_off"),
        "ceiling": await ctx.server("ceiling"),
    }


async def single_fetch_http(ctx: BenchContext, tick: Tick) -> dict[str, Any]:
    servers = await _http_servers(ctx)
    return await http.single_fetch(
        await ctx.loadgen(),
        servers,
        ctx.token,
        ctx.dataset.recruiter_ids,
        rounds=ctx.mode.rounds,
        requests=ctx.mode.http_sequential,
        tick=tick,
    )


async def http_throughput(ctx: BenchContext, tick: Tick) -> dict[str, Any]:
    servers = await _http_servers(ctx)
    servers["cache_on_fastapi"] = await ctx.server("cache_on_fastapi")
    servers["cache_on_no_l1"] = await ctx.server("cache_on_no_l1")
    return await http.throughput(
        await ctx.loadgen(),
        servers,
        ctx.token,
        ctx.dataset.recruiter_ids,
        rounds=ctx.mode.http_rounds,
        duration=ctx.mode.http_duration,
        concurrency=ctx.mode.http_concurrency,
        tick=tick,
    )


async def hot_path_layers(ctx: BenchContext, tick: Tick) -> dict[str, Any]:
    url = _need_cache(ctx)
    result = await hot_path.run(
        ctx.database.url,
        url,
        ctx.dataset.recruiter_ids[0],
        ctx.redis.prefix,
        rounds=ctx.mode.rounds,
        quick=_quick(ctx),
        tick=tick,
    )
    result["source"] = "bench.hot_path.run"
    return result


async def invalidation_delay(ctx: BenchContext, tick: Tick) -> dict[str, Any]:
    url = _need_cache(ctx)
    result = await tier_delay.run(url, ctx.redis.prefix, count=100 if _quick(ctx) else 500)
    tick()
    d = result["delay_ms"]
    result["summary"] = (
        f"{result['received']} of {result['invalidations']} pushed; delay p50 {d['p50']:.1f} ms, "
        f"p99 {d['p99']:.1f} ms, max {d['max']:.1f} ms"
    )
    return result


async def memory(ctx: BenchContext, tick: Tick) -> dict[str, Any]:
    if "cache_on" not in ctx.servers or "cache_off" not in ctx.servers:
        raise Skip("the HTTP workload did not run (its servers are not up)")
    tick()
    return http.memory(ctx.servers, ctx.rss_at_start)


async def zipf(ctx: BenchContext, tick: Tick) -> dict[str, Any]:
    url = _need_cache(ctx)
    servers = [await ctx.server("cache_on"), await ctx.server("cache_on_2")]
    tick()
    result = await workload.run(
        await ctx.loadgen(),
        servers,
        ctx.token,
        url,
        slot_ids=ctx.dataset.free_slot_ids[: ctx.mode.zipf_slots],
        recruiter_ids=ctx.dataset.recruiter_ids,
        duration=ctx.mode.zipf_duration,
        concurrency=ctx.mode.zipf_concurrency,
    )
    tick()
    return result


async def observability(ctx: BenchContext, tick: Tick) -> dict[str, Any]:
    result = await observability_bench.run(
        ctx.database.url,
        ctx.dataset.recruiter_ids[0],
        redis_url=ctx.redis.url,
        prefix=ctx.redis.prefix,
        rounds=ctx.mode.rounds,
        quick=_quick(ctx),
        tick=tick,
    )
    result["source"] = "bench.observability.run"
    return result


async def redis_topologies(ctx: BenchContext, tick: Tick) -> dict[str, Any]:
    _need_cached_repositories(ctx)
    result = await topologies.run(ctx, tick)
    result["source"] = "bench.topologies.run"
    return result


SCENARIOS: list[ScenarioSpec] = [
    ScenarioSpec(
        "list_100", "2. list of 100 slots: N+1 vs eager", list_100, lambda m: 2 * m.rounds
    ),
    ScenarioSpec(
        "single_fetch_repository",
        "1. single fetch, repository: DB vs cache",
        single_fetch_repository,
        lambda m: 2 * m.rounds,
    ),
    ScenarioSpec(
        "repeated_reads",
        "3. repeated reads: 1 miss + n hits",
        repeated_reads,
        lambda m: 2 * m.rounds,
    ),
    ScenarioSpec("hit_cost", "6. hit cost vs redis GET, cashews, aiocache", hit_cost, lambda m: 1),
    ScenarioSpec(
        "single_fetch_http",
        "1. single fetch, HTTP: DB vs cache",
        single_fetch_http,
        lambda m: m.rounds,
    ),
    ScenarioSpec(
        "http_throughput",
        "5. HTTP throughput: cache on/off, fast path and tier on/off, ceiling",
        http_throughput,
        lambda m: 9 * m.http_rounds,
    ),
    ScenarioSpec("memory", "7. memory: worker RSS, cache on vs off", memory, lambda m: 1),
    ScenarioSpec(
        "invalidation_delay",
        "   invalidation delay to another process's tier",
        invalidation_delay,
        lambda m: 1,
    ),
    ScenarioSpec(
        "hot_path",
        "5. cached hit layer by layer (in-process)",
        hot_path_layers,
        lambda m: max(3, m.rounds // 3) if m.name == "quick" else m.rounds,
    ),
    ScenarioSpec("zipf", "4. Zipf workload, 5% writes, 2 workers", zipf, lambda m: 2),
    ScenarioSpec(
        "redis_topologies",
        "8. one Redis vs Cluster vs Sentinel: hit cost, Zipf",
        redis_topologies,
        lambda m: 5,
    ),
    ScenarioSpec(
        "observability", "   observability stack overhead", observability, lambda m: m.rounds
    ),
]
