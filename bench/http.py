"""Scenarios 1 (HTTP level), 5 and 7: latency and throughput through real server processes.

Servers: one single-worker API server with the cache on, the same with the fast path off
(every request through FastAPI) and with the in-process tier off (every hit from Redis), one
with the cache off, and the constant JSON ceiling app.
The load generator is another process; variants are measured in interleaved rounds (the
order rotates every round), so they share the machine's drift.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.processes import LoadGenerator, ServerProcess
from bench.stats import Summary, compare, ratio


def _job(server: ServerProcess, paths: list[str], token: str, **extra: Any) -> dict[str, Any]:
    host, port = server.address
    headers = {"Authorization": f"Bearer {token}"}
    return {"kind": "http", "host": host, "port": port, "paths": paths, "headers": headers, **extra}


def _check(name: str, result: dict[str, Any]) -> None:
    if result["requests"] == 0 or result["errors"] > result["requests"] // 100:
        raise RuntimeError(f"{name}: {result['errors']} errors, statuses {result['statuses']}")


async def single_fetch(
    loadgen: LoadGenerator,
    servers: dict[str, ServerProcess],
    token: str,
    recruiter_ids: list[int],
    *,
    rounds: int,
    requests: int,
    tick: Callable[[], None],
) -> dict[str, Any]:
    """GET /api/recruiters/{id} one request at a time: cache hit vs database, per request."""
    paths = [f"/api/recruiters/{rid}" for rid in recruiter_ids]
    names = {"database": servers["cache_off"], "cache_hit": servers["cache_on"]}
    if "cache_on_fastapi" in servers:
        names["cache_hit_fastapi"] = servers["cache_on_fastapi"]
    for server in names.values():  # warm: connections, code paths, the cache
        await loadgen.run(_job(server, paths, token, concurrency=1, count=len(paths) * 2))
    per_round: dict[str, list[float]] = {name: [] for name in names}
    order = list(names)
    for index in range(rounds):
        shift = index % len(order)
        for name in order[shift:] + order[:shift]:
            result = await loadgen.run(
                _job(names[name], paths, token, concurrency=1, count=requests)
            )
            _check(name, result)
            median_ms = Summary.of(result["latency_ms"]).median
            per_round[name].append(median_ms * 1000.0)  # µs, like the in-process figures
        tick()
    out = compare(per_round, baseline="database")
    out["unit"] = "us_per_request (median of each round)"
    out["path"] = "/api/recruiters/{id}"
    return out


def _variants(
    servers: dict[str, ServerProcess], recruiter_ids: list[int]
) -> dict[str, tuple[ServerProcess, list[str]]]:
    slot_paths = [f"/api/slots?recruiter_id={rid}&status=free&limit=100" for rid in recruiter_ids]
    recruiter_paths = [f"/api/recruiters/{rid}" for rid in recruiter_ids]
    variants = {
        "slots_cache_on": (servers["cache_on"], slot_paths),
        "slots_cache_off": (servers["cache_off"], slot_paths),
        "recruiter_cache_on": (servers["cache_on"], recruiter_paths),
        "recruiter_cache_off": (servers["cache_off"], recruiter_paths),
        "constant_json_ceiling": (servers["ceiling"], ["/api/constant"]),
    }
    for server in ("cache_on_fastapi", "cache_on_no_l1"):
        if server in servers:
            suffix = server.removeprefix("cache_on_")
            variants[f"slots_cache_on_{suffix}"] = (servers[server], slot_paths)
            variants[f"recruiter_cache_on_{suffix}"] = (servers[server], recruiter_paths)
    return variants


async def throughput(
    loadgen: LoadGenerator,
    servers: dict[str, ServerProcess],
    token: str,
    recruiter_ids: list[int],
    *,
    rounds: int,
    duration: float,
    concurrency: int,
    tick: Callable[[], None],
) -> dict[str, Any]:
    """Requests per second and latency percentiles at a fixed concurrency."""
    variants = _variants(servers, recruiter_ids)
    for server, paths in variants.values():
        await loadgen.run(
            _job(server, paths, token, concurrency=concurrency, duration=min(1.0, duration))
        )
    rps: dict[str, list[float]] = {name: [] for name in variants}
    latencies: dict[str, list[float]] = {name: [] for name in variants}
    errors: dict[str, int] = dict.fromkeys(variants, 0)
    order = list(variants)
    for index in range(rounds):
        shift = index % len(order)
        for name in order[shift:] + order[:shift]:
            server, paths = variants[name]
            result = await loadgen.run(
                _job(server, paths, token, concurrency=concurrency, duration=duration)
            )
            _check(name, result)
            rps[name].append(result["rps"])
            latencies[name].extend(result["latency_ms"])
            errors[name] += result["errors"]
            tick()
    variants_out: dict[str, Any] = {}
    for name in variants:
        lat = Summary.of(latencies[name])
        variants_out[name] = {
            "rps": Summary.of(rps[name]).as_dict(),
            "latency_ms": {"p50": lat.median, "p95": lat.p95, "p99": lat.p99, "max": lat.max},
            "requests": lat.n,
            "errors": errors[name],
        }
    med = {name: Summary.of(values).median for name, values in rps.items()}
    ceiling = med["constant_json_ceiling"]
    ratios = {
        "slots_on_vs_off": ratio(med["slots_cache_on"], med["slots_cache_off"]),
        "recruiter_on_vs_off": ratio(med["recruiter_cache_on"], med["recruiter_cache_off"]),
        "slots_on_vs_ceiling": ratio(med["slots_cache_on"], ceiling),
        "recruiter_on_vs_ceiling": ratio(med["recruiter_cache_on"], ceiling),
    }
    for key in ("slots", "recruiter"):
        fastapi = med.get(f"{key}_cache_on_fastapi")
        if fastapi is not None:
            ratios[f"{key}_fastapi_vs_ceiling"] = ratio(fastapi, ceiling)
            ratios[f"{key}_fast_path_vs_fastapi"] = ratio(med[f"{key}_cache_on"], fastapi)
        no_l1 = med.get(f"{key}_cache_on_no_l1")
        if no_l1 is not None:
            ratios[f"{key}_no_l1_vs_ceiling"] = ratio(no_l1, ceiling)
            ratios[f"{key}_tier_on_vs_off"] = ratio(med[f"{key}_cache_on"], no_l1)
    return {
        "concurrency": concurrency,
        "duration_s_per_round": duration,
        "rounds": rounds,
        "paths": {
            "slots": "/api/slots?recruiter_id={id}&status=free&limit=100",
            "recruiter": "/api/recruiters/{id}",
            "ceiling": "/api/constant (bench.ceiling)",
        },
        "variants": variants_out,
        "ratios": ratios,
        # Kept for the charts; report.py drops them from results.json's summary section.
        "_latency_samples_ms": {name: values[:20000] for name, values in latencies.items()},
    }


def memory(servers: dict[str, ServerProcess], at_start: dict[str, int]) -> dict[str, Any]:
    """Scenario 7: RSS of the cache-on and cache-off workers after the same workload."""
    now = {name: servers[name].rss_bytes() for name in ("cache_on", "cache_off")}
    mb = 2**20
    return {
        "rss_mb_at_start": {k: round(v / mb, 1) for k, v in at_start.items()},
        "rss_mb_after_workload": {k: round(v / mb, 1) for k, v in now.items()},
        "cache_on_minus_off_mb": round((now["cache_on"] - now["cache_off"]) / mb, 1),
        "growth_mb": {k: round((now[k] - at_start.get(k, now[k])) / mb, 1) for k in now},
    }
