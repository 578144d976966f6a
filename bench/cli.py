"""``python -m bench`` (what ``python3 dev.py bench`` runs): the options, the scenario
registry handed to the runner, the exit status (1 when a scenario failed)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bench.context import BenchOptions
from bench.runner import run_bench
from bench.scenarios import SCENARIOS

app = typer.Typer(add_completion=False)
console = Console()


def parse_only(only: str | None) -> frozenset[str] | None:
    """The scenario keys of ``--only`` (None: all), refusing a key no scenario has."""
    if not only:
        return None
    chosen = frozenset(k.strip() for k in only.split(",") if k.strip())
    known = {s.key for s in SCENARIOS}
    if unknown := chosen - known:
        raise typer.BadParameter(
            f"unknown scenario(s) {', '.join(sorted(unknown))}; known: " + ", ".join(sorted(known)),
            param_hint="--only",
        )
    return chosen


@app.command()
def bench(
    quick: Annotated[
        bool, typer.Option("--quick", help="Short smoke run (< 3 min on 2 cores).")
    ] = False,
    database_url: Annotated[
        str | None,
        typer.Option(
            envvar="SLOTWISE_BENCH_DATABASE_URL",
            help="An EMPTY database to use (default: a fresh PostgreSQL database on "
            "127.0.0.1, dropped afterwards, else a temporary SQLite file).",
        ),
    ] = None,
    redis_url: Annotated[
        str | None,
        typer.Option(
            envvar="SLOTWISE_BENCH_REDIS_URL",
            help="Redis to use (default: 127.0.0.1:6379 when it answers). Keys get a "
            "prefix of their own and are removed afterwards; nothing else is touched.",
        ),
    ] = None,
    no_redis: Annotated[
        bool, typer.Option("--no-redis", help="Run the uncached variants only.")
    ] = False,
    out: Annotated[
        Path, typer.Option(help="Where results.md, results.json and the charts go.")
    ] = Path("bench-results"),
    only: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated scenario keys to run (e.g. http_throughput,single_fetch_http); "
            "default: all."
        ),
    ] = None,
) -> None:
    """The slotwise benchmark: measure the user's document's claims side by side and write
    results.md, results.json and charts (run it as `python3 dev.py bench`)."""
    options = BenchOptions(
        quick=quick,
        database_url=database_url,
        redis_url=redis_url,
        no_redis=no_redis,
        out=out,
        only=parse_only(only),
    )
    document = asyncio.run(run_bench(options, SCENARIOS, console))
    console.print((out / "results.md").read_text(encoding="utf-8"), markup=False)
    failed = [k for k, v in document["meta"]["status"].items() if v == "failed"]
    if failed:
        console.print(f"[red]failed scenarios: {', '.join(failed)}[/red]")
        raise typer.Exit(1)
    console.print(f"results in [bold]{out.resolve()}[/bold]")


def main() -> None:
    app(prog_name="python -m bench")
