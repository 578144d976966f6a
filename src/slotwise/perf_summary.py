"""``slotwise perf-summary``: a running server's performance summary as terminal tables."""

from __future__ import annotations

from typing import Any

import httpx
from rich.console import Console
from rich.table import Table


class SummaryError(Exception):
    """The server could not be asked, or refused (the message says which)."""


def fetch_summary(url: str, token: str, timeout: float = 5.0) -> dict[str, Any]:
    endpoint = url.rstrip("/") + "/api/metrics/summary"
    try:
        response = httpx.get(
            endpoint, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        )
    except httpx.HTTPError as exc:
        raise SummaryError(f"cannot reach {endpoint}: {type(exc).__name__}") from exc
    if response.status_code != 200:
        raise SummaryError(f"{endpoint} answered {response.status_code}: {response.text[:200]}")
    body: dict[str, Any] = response.json()
    return body


def _overview(summary: dict[str, Any]) -> Table:
    cache, queries, requests = summary["cache"], summary["queries"], summary["requests"]
    table = Table(title=f"slotwise worker pid {summary.get('pid', '?')}", show_header=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("cache hit rate", f"{cache['hit_rate']:.1f}% ({cache['hits']}/{cache['total']})")
    table.add_row("queries", str(queries["total"]))
    table.add_row(
        "slow queries",
        f"{queries['slow']} ({queries['slow_percent']:.1f}%, > {queries['slow_threshold_ms']} ms)",
    )
    table.add_row("query avg / p95", f"{queries['avg_ms']:.2f} / {queries['p95_ms']:.2f} ms")
    table.add_row("requests", str(requests["total"]))
    table.add_row("request p95", f"{requests['p95_ms']:.2f} ms")
    for name, pool in summary.get("pools", {}).items():
        table.add_row(
            f"{name} pool", f"{pool['in_use']}/{pool['max']} ({pool['usage_percent']:.0f}%)"
        )
    return table


def _timings(title: str, first: str, rows: dict[str, dict[str, Any]], top: int) -> Table:
    table = Table(title=title)
    table.add_column(first)
    for column in ("count", "avg ms", "p50 ms", "p95 ms", "p99 ms"):
        table.add_column(column, justify="right")
    for name, stats in list(rows.items())[:top]:
        table.add_row(
            name,
            str(stats["count"]),
            *(f"{stats[k]:.2f}" for k in ("avg_ms", "p50_ms", "p95_ms", "p99_ms")),
        )
    return table


def render_summary(summary: dict[str, Any], console: Console, top: int = 15) -> None:
    console.print(_overview(summary))
    console.print(_timings("endpoints", "endpoint", summary["endpoints"], top))
    queries = {q["name"]: q for q in summary["queries"]["top"]}
    console.print(_timings("queries (by total time)", "query", queries, top))
