"""The outputs: ``results.json`` (every figure), ``results.md`` (the table the README shows,
with the machine described) and the charts (``charts.py``).

Keys starting with ``_`` hold raw samples for the charts; they go to ``samples.json``, not
into ``results.json``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

Row = tuple[str, str, str, str, str, str]


def _public(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _public(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, list):
        return [_public(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _samples(value: Any, path: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, inner in value.items():
            where = f"{path}.{key}" if path else str(key)
            if str(key).startswith("_"):
                found[where] = inner
            else:
                found.update(_samples(inner, where))
    return found


def us(value: float | None) -> str:
    """A duration given in microseconds, in the unit a reader expects."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if value >= 1_000_000:
        return f"{value / 1_000_000:.2f} s"
    if value >= 1000:
        return f"{value / 1000:.2f} ms"
    return f"{value:.0f} µs"


def times(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == 0:
        return "n/a"
    return f"{value:.2f}x"


def verdict(ok: bool | None) -> str:
    return "" if ok is None else (" ✅" if ok else " ❌")


def _median(block: dict[str, Any], variant: str) -> float | None:
    try:
        return float(block["variants"][variant]["median"])
    except (KeyError, TypeError, ValueError):
        return None


def _speedup(block: dict[str, Any], slow: str, fast: str) -> float | None:
    a, b = _median(block, slow), _median(block, fast)
    return a / b if a and b else None


# --- one builder per scenario: result dict -> table rows --------------------------------------


def rows_single_fetch_repository(r: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for label in ("recruiter", "slot"):
        block = r.get(label)
        if not isinstance(block, dict):
            continue
        rows.append(
            (
                "1",
                f"single {label} fetch, repository (`uow.{label}s.get`)",
                "~50 ms → ~5 ms (10x)",
                f"{us(_median(block, 'database'))} → {us(_median(block, 'cache_hit'))}",
                times(_speedup(block, "database", "cache_hit")) + " faster",
                "",
            )
        )
    return rows


def rows_single_fetch_http(r: dict[str, Any]) -> list[Row]:
    return [
        (
            "1",
            "single fetch over HTTP, `GET /api/recruiters/{id}`, one at a time",
            "~50 ms → ~5 ms (10x)",
            f"{us(_median(r, 'database'))} → {us(_median(r, 'cache_hit'))}",
            times(_speedup(r, "database", "cache_hit")) + " faster",
            "",
        )
    ]


def rows_list_100(r: dict[str, Any]) -> list[Row]:
    statements = r.get("statements", {})
    variants = r.get("variants", {})
    slow = next((v for v in variants if "n_plus_one" in v or "lazy" in v), None)
    if slow is None:
        return _generic_row("2", "list of 100 slots with relations", r)
    parts = [
        f"{name}: {us(_median(r, name))} ({statements.get(name, '?')} st.)" for name in variants
    ]
    eager = [name for name in variants if name != slow]
    best = max((_speedup(r, slow, name) or 0.0 for name in eager), default=0.0)
    max_st = max((int(statements.get(n, 99)) for n in eager), default=99)
    ok = best >= 5 and max_st <= 3
    return [
        (
            "2",
            "list of 100 slots with recruiter and city",
            "1500 ms (101 queries) → 150 ms (2 queries)",
            "; ".join(parts),
            f"eager {times(best)} faster",
            "≥ 5x and ≤ 3 statements" + verdict(ok),
        ),
        *rows_per_row_n_plus_one(r, eager),
        *rows_batch_loader(r),
    ]


def rows_per_row_n_plus_one(r: dict[str, Any], eager: list[str]) -> list[Row]:
    """The document's own N+1 (a SELECT per row and relation, no identity map) against the
    fastest eager variant of the same run."""
    block = r.get("per_row_n_plus_one")
    if not isinstance(block, dict) or not eager:
        return []
    slow_us = block.get("variants", {}).get("median")
    fast = min(eager, key=lambda n: _median(r, n) or math.inf)
    fast_us = _median(r, fast)
    speedup = slow_us / fast_us if slow_us and fast_us else None
    statements = r.get("statements", {})
    return [
        (
            "2",
            "the same list, N+1 as the document counts it (a SELECT per row and relation)",
            "1500 ms (101 queries) → 150 ms (2 queries)",
            f"per-row N+1: {us(slow_us)} ({block.get('statements', '?')} st.); "
            f"{fast}: {us(fast_us)} ({statements.get(fast, '?')} st.)",
            f"{times(speedup)} faster",
            "≥ 5x and ≤ 3 statements"
            + verdict(speedup is not None and speedup >= 5 and int(statements.get(fast, 99)) <= 3),
        )
    ]


def rows_batch_loader(r: dict[str, Any]) -> list[Row]:
    block = r.get("batch_loader")
    if not isinstance(block, dict) or "variants" not in block:
        return []
    names = list(block["variants"])
    slow = block.get("baseline", names[0])
    fast = next((n for n in names if n != slow), slow)
    st = block.get("statements", {})
    return [
        (
            "2",
            f"{block.get('ids')} slots by id: one get per id vs `BatchLoader.load_many`",
            "N queries → 1 query",
            f"{slow}: {us(_median(block, slow))} ({st.get(slow, '?')} st.); "
            f"{fast}: {us(_median(block, fast))} ({st.get(fast, '?')} st.)",
            times(_speedup(block, slow, fast)) + " faster",
            "",
        )
    ]


def rows_repeated_reads(r: dict[str, Any]) -> list[Row]:
    n = r.get("reads", 10)
    return [
        (
            "3",
            f"{n} reads of one recruiter: all from the DB vs 1 miss + {n - 1} hits",
            "500 ms → 25 ms (20x)",
            f"{us(_median(r, 'database_every_read'))} → {us(_median(r, 'one_miss_then_hits'))}",
            times(_speedup(r, "database_every_read", "one_miss_then_hits")) + " faster",
            "",
        )
    ]


def rows_zipf(r: dict[str, Any]) -> list[Row]:
    hit = r.get("hit_rate_percent")
    oracle = r.get("oracle_hit_rate_percent")
    stale = int(r.get("stale_reads", 0)) + int(r.get("stale_embedded_reads", 0))
    of_oracle = hit / oracle if hit is not None and oracle else None
    ok = hit is not None and hit >= 90 and stale == 0
    target = "≥ 90%, 0 stale"
    if of_oracle is not None:
        ok = ok and of_oracle >= 0.97
        target = "≥ 0.97x the oracle, ≥ 90%, 0 stale"
    return [
        (
            "4",
            f"Zipf reads + {100 * float(r.get('write_fraction', 0.05)):.0f}% writes, "
            f"{r.get('workers', 2)} API workers",
            "70-90% hit rate",
            f"hit rate {hit}% (oracle on the same trace: {oracle}%; "
            f"{r.get('cache_refreshes')} refresh loads by {r.get('writes')} writes, "
            "not counted as reads); stale reads "
            f"{r.get('stale_reads')} (+{r.get('stale_embedded_reads')} embedded) of "
            f"{r.get('checked_reads')} checked; {r.get('rps', 0):.0f} req/s",
            times(of_oracle) + " of the oracle" if of_oracle is not None else "",
            target + verdict(ok),
        )
    ]


def rows_http_throughput(r: dict[str, Any]) -> list[Row]:
    v = r.get("variants", {})
    ratios = r.get("ratios", {})

    def rps(name: str) -> float:
        return float(v.get(name, {}).get("rps", {}).get("median", math.nan))

    def lat(name: str) -> str:
        d = v.get(name, {}).get("latency_ms", {})
        p50, p95, p99 = (d.get(k, math.nan) for k in ("p50", "p95", "p99"))
        return f"p50/p95/p99 {p50:.1f}/{p95:.1f}/{p99:.1f} ms"

    rows: list[Row] = []
    for key, label in (
        ("slots", "`GET /api/slots` (a recruiter's free slots)"),
        ("recruiter", "`GET /api/recruiters/{id}`"),
    ):
        on, off = f"{key}_cache_on", f"{key}_cache_off"
        r_on_off = ratios.get(f"{key}_on_vs_off", math.nan)
        r_ceiling = ratios.get(f"{key}_on_vs_ceiling", math.nan)
        ok = r_ceiling >= 0.4 and (key != "slots" or r_on_off >= 2)
        fastapi = f"{key}_cache_on_fastapi"
        through_fastapi = (
            f"; through FastAPI (fast path off) {rps(fastapi):,.0f} req/s, "
            f"{times(ratios.get(f'{key}_fastapi_vs_ceiling', math.nan))} of ceiling"
            if fastapi in v
            else ""
        )
        no_l1 = f"{key}_cache_on_no_l1"
        if no_l1 in v:
            through_fastapi += (
                f"; in-process tier off {rps(no_l1):,.0f} req/s, "
                f"{times(ratios.get(f'{key}_no_l1_vs_ceiling', math.nan))} of ceiling"
            )
        rows.append(
            (
                "5",
                f"{label}, {r.get('concurrency')} connections",
                "",
                f"cache on {rps(on):,.0f} req/s ({lat(on)}); "
                f"off {rps(off):,.0f} req/s ({lat(off)}){through_fastapi}",
                f"{times(r_on_off)} on/off; {times(r_ceiling)} of ceiling",
                ("≥ 2x and " if key == "slots" else "") + "≥ 0.4x ceiling" + verdict(ok),
            )
        )
    ceiling = "constant_json_ceiling"
    rows.append(
        (
            "5",
            "constant-JSON FastAPI endpoint (the ceiling)",
            "",
            f"{rps(ceiling):,.0f} req/s ({lat(ceiling)})",
            "",
            "",
        )
    )
    return rows


def rows_memory(r: dict[str, Any]) -> list[Row]:
    after = r.get("rss_mb_after_workload", {})
    return [
        (
            "7",
            "RSS of an API worker after the HTTP workload",
            "+50 MB",
            f"cache on {after.get('cache_on')} MB, off {after.get('cache_off')} MB",
            f"{r.get('cache_on_minus_off_mb'):+} MB",
            "",
        )
    ]


def rows_hit_cost(r: dict[str, Any]) -> list[Row]:
    """Scenario 6 (``bench.cache_hit``): hit cost, O(1) invalidation, DB vs hit."""
    rows: list[Row] = []
    hit = r.get("hit", {})
    for shape, label in (("scalar", "a small value"), ("entity", "an ORM recruiter + cities")):
        block = hit.get(shape)
        if not isinstance(block, dict):
            continue
        timings, ratios = block.get("timings", {}), block.get("ratio_to_raw", {})
        measured = "; ".join(f"{name}: {us(t.get('median_us'))}" for name, t in timings.items())
        ratio = ratios.get("cached_decorator")
        tier_us = timings.get("cached_decorator", {}).get("median_us")
        redis_ratio = ratios.get("cached_decorator_redis_hit")
        mine = ("raw_get_decode", "cached_decorator", "cached_decorator_redis_hit")
        others = {k: v for k, v in ratios.items() if k not in mine}
        cheaper = all(ratio is not None and ratio <= v for v in others.values())
        target = "tier hit ≤ 5 µs" + verdict(tier_us is not None and tier_us <= 5)
        if redis_ratio is not None:
            target += "; Redis hit ≤ 1.2x raw" + verdict(redis_ratio <= 1.2)
        if others:
            target += "; cheaper than " + ", ".join(others) + verdict(cheaper)
        rows.append(
            (
                "6",
                f"cache hit of {label}: `@cached` vs raw redis-py GET + decode"
                + (", cashews, aiocache" if others else ""),
                "",
                measured,
                ", ".join(f"{k} {times(v)}" for k, v in ratios.items() if k != "raw_get_decode")
                + " of raw",
                target,
            )
        )
    inv = r.get("invalidation")
    if isinstance(inv, dict):
        ours = inv.get("invalidate_us", {})
        scan = inv.get("scan_and_delete_ms (the document's way)", {})
        ratio = inv.get("ratio_full_vs_empty")
        rows.append(
            (
                "6",
                f"invalidate `recruiters:*` with {inv.get('unrelated_keys'):,} unrelated keys "
                "vs an empty Redis",
                "SCAN + DEL",
                f"ours {ours.get('empty')} µs → {ours.get('full')} µs; "
                f"SCAN + DEL {scan.get('empty')} ms → {scan.get('full')} ms",
                times(ratio),
                "≤ 1.5x" + verdict(ratio is not None and ratio <= 1.5),
            )
        )
    dvc = r.get("db_vs_cache")
    if isinstance(dvc, dict):
        t = dvc.get("timings", {})
        rows.append(
            (
                "6",
                "`uow.recruiters.get`: database vs cache hit (same run)",
                "~50 ms → ~5 ms (10x)",
                f"{us(t.get('database', {}).get('median_us'))} → "
                f"{us(t.get('cache_hit', {}).get('median_us'))}",
                times(dvc.get("database_vs_hit")) + " faster",
                "",
            )
        )
    return rows or _generic_row("6", "cached-call cost vs raw redis GET + decode", r)


def rows_redis_topologies(r: dict[str, Any]) -> list[Row]:
    """Scenario 8 (``bench.topologies``): hit cost and the Zipf workload per Redis topology."""
    names = ("standalone", "cluster", "sentinel")
    hit = r.get("hit", {})
    median = hit.get("median_us", {})
    versus = hit.get("cached_vs_standalone", {})
    # a cache that failed open answers without Redis: fast, and not a hit
    up = hit.get("cache_available_at_end", {})
    down = [n for n in names if up.get(n) is False]
    cluster = versus.get("cluster")
    rows: list[Row] = [
        (
            "8",
            "Redis hit of a small value (in-process tier off) on one Redis, a Cluster, "
            "a Sentinel group",
            "",
            "; ".join(f"{n}: {us(median.get(f'{n}:cached'))}" for n in names)
            + (f" (cache unavailable, no hits: {', '.join(down)})" if down else ""),
            ", ".join(f"{n} {times(versus.get(n))}" for n in names[1:]) + " of standalone",
            "cluster ≤ 1.3x"
            + verdict(cluster is not None and cluster <= 1.3 and "cluster" not in down),
        )
    ]
    for name, z in r.get("zipf", {}).items():
        stale = int(z.get("stale_reads", 0)) + int(z.get("stale_embedded_reads", 0))
        rows.append(
            (
                "8",
                f"Zipf reads + 5% writes, 2 API workers, on {name}",
                "",
                f"hit rate {z.get('hit_rate_percent')}%; stale reads {stale} of "
                f"{z.get('checked_reads')} checked; {z.get('rps', 0):.0f} req/s",
                "",
                "0 stale" + verdict(stale == 0),
            )
        )
    return rows


def _generic_row(number: str, title: str, r: dict[str, Any]) -> list[Row]:
    summary = r.get("summary") or r.get("headline") or "see details below"
    return [(number, title, "", str(summary), "", "")]


BUILDERS: dict[str, tuple[str, str, Callable[[dict[str, Any]], list[Row]]]] = {
    "single_fetch_repository": ("1", "single fetch, repository", rows_single_fetch_repository),
    "single_fetch_http": ("1", "single fetch, HTTP", rows_single_fetch_http),
    "list_100": ("2", "list of 100 slots", rows_list_100),
    "repeated_reads": ("3", "repeated reads", rows_repeated_reads),
    "zipf": ("4", "Zipf workload", rows_zipf),
    "http_throughput": ("5", "HTTP throughput", rows_http_throughput),
    "hit_cost": ("6", "cached call vs redis GET, cashews, aiocache", rows_hit_cost),
    "memory": ("7", "memory", rows_memory),
    "redis_topologies": ("8", "one Redis vs Cluster vs Sentinel", rows_redis_topologies),
    "observability": (
        "",
        "observability overhead",
        lambda r: _generic_row("", "observability stack overhead on a cached GET", r),
    ),
    "invalidation_delay": (
        "",
        "invalidation delay",
        lambda r: _generic_row("", "invalidation delay to another process's in-process tier", r),
    ),
    "hot_path": (
        "5",
        "cached hit layer by layer",
        lambda r: _generic_row("5", "cached hit layer by layer, in-process (no network)", r),
    ),
}


def machine_line(meta: dict[str, Any]) -> str:
    m = meta.get("machine", {})
    redis = f"Redis {m['redis_version']}" if m.get("redis_version") else "no Redis"
    db = m.get("database_version", "")
    if m.get("database") == "postgresql":
        db = f"PostgreSQL {db}"
    return (
        f"{m.get('cpu_count')} CPUs ({m.get('cpu_model')}), {m.get('memory_gb')} GB RAM, "
        f"{m.get('os')}; "
        f"Python {m.get('python')}; {db}; {redis}; all on one machine over loopback"
    )


def render_markdown(document: dict[str, Any]) -> str:
    meta = document["meta"]
    scenarios = document["scenarios"]
    data = meta.get("dataset", {})
    lines = [
        f"### slotwise benchmark ({meta['mode']} mode)",
        "",
        f"Machine: {machine_line(meta)}.  ",
        f"Data: {data.get('recruiters')} active recruiters, {data.get('slots')} slots. "
        f"Run finished {meta.get('finished_at')} and took {meta.get('duration_s')} s. "
        "Every ratio compares variants measured side by side in the same run "
        "(interleaved rounds; medians shown).",
        "",
        "| # | measurement | the document says | measured (median) | ratio | target |",
        "|---|---|---|---|---|---|",
    ]
    for key, (number, title, build) in BUILDERS.items():
        result = scenarios.get(key)
        if result is None:
            continue
        if "skipped" in result:
            lines.append(f"| {number} | {title} | | skipped: {result['skipped']} | | |")
            continue
        if "error" in result:
            lines.append(f"| {number} | {title} | | failed: {result['error']} | | |")
            continue
        try:
            built = build(result)
        except (KeyError, TypeError, ValueError) as exc:
            built = [(number, title, "", f"(cannot summarise: {exc})", "", "")]
        for row in built:
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    lines += ["", *render_details(scenarios)]
    return "\n".join(lines) + "\n"


def render_details(scenarios: dict[str, Any]) -> list[str]:
    """Per-variant min / median / p95 for every compared block, then the rest as JSON."""
    lines = ["#### Details (µs per call unless stated; min / median / p95 over rounds)", ""]
    for key, result in scenarios.items():
        blocks = _compared_blocks(key, result)
        if not blocks:
            continue
        rows = [
            f"| {name} | {variant} | {s.get('n')} | {us(s.get('min'))} | "
            f"{us(s.get('median'))} | {us(s.get('p95'))} |"
            for name, block in blocks
            for variant, s in block["variants"].items()
            if isinstance(s, dict) and "median" in s and "n" in s
        ]
        if rows:
            header = [
                "| block | variant | rounds | min | median | p95 |",
                "|---|---|---|---|---|---|",
            ]
            lines += [f"**{key}**", "", *header, *rows, ""]
    return lines


def _compared_blocks(key: str, result: Any) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if not isinstance(result, dict):
        return found
    if str(result.get("unit", "")).startswith("us") and isinstance(result.get("variants"), dict):
        found.append((key, result))
    for name, inner in result.items():
        unit = str(inner.get("unit", "")) if isinstance(inner, dict) else ""
        if unit.startswith("us") and isinstance(inner.get("variants"), dict):
            found.append((f"{key}.{name}", inner))
    return found


def write_all(document: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    public = _public(document)
    (out / "results.json").write_bytes(
        orjson.dumps(public, default=str, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    )
    (out / "samples.json").write_bytes(orjson.dumps(_samples(document["scenarios"]), default=str))
    (out / "results.md").write_text(render_markdown(document), encoding="utf-8")
    from bench import charts

    charts.write_charts(document, out)
