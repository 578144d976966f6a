"""The ``slotwise`` command: database, demo data, the server and the tools around it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress

from slotwise.persistence import db
from slotwise.persistence.migrate import downgrade as run_downgrade
from slotwise.persistence.migrate import upgrade as run_upgrade

T = TypeVar("T")

app = typer.Typer(
    help="slotwise: interview-slot booking backend (API server, database, demo data, "
    "perf-summary). The benchmark is `python3 dev.py bench`.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console()


def _run(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine and dispose of the engine afterwards (no dangling connections)."""

    async def main() -> T:
        try:
            return await make()
        finally:
            await db.dispose_engine()

    return asyncio.run(main())


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Create or migrate the schema of DATABASE_URL up to REVISION."""
    _run(lambda: run_upgrade(db.get_engine(), revision))
    console.print(f"database at [bold]{revision}[/bold]")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision ('base' drops everything).")],
) -> None:
    """Migrate the schema of DATABASE_URL down to REVISION."""
    _run(lambda: run_downgrade(db.get_engine(), revision))
    console.print(f"database at [bold]{revision}[/bold]")


@app.command()
def seed(
    demo: Annotated[bool, typer.Option("--demo", help="Load the demo data set.")] = False,
    recruiters: Annotated[int, typer.Option(min=1, max=500, help="Demo recruiters.")] = 20,
    days: Annotated[int, typer.Option(min=1, max=365, help="Days of slots from tomorrow.")] = 21,
) -> None:
    """Load data into DATABASE_URL (idempotent: a second run adds nothing)."""
    if not demo:
        raise typer.BadParameter("nothing to seed: pass --demo", param_hint="--demo")
    from slotwise.cache.client import disconnect_cache, open_app_cache
    from slotwise.demo.seed import SeedFailed, SeedReport, seed_demo

    async def seed_with_cache(advance: Callable[[int], None]) -> SeedReport:
        # Connected like the server's, so the seed's writes invalidate what a server cached.
        opened = await open_app_cache()
        try:
            return await seed_demo(recruiters=recruiters, days=days, progress=advance)
        finally:
            if opened:
                await disconnect_cache()

    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("seeding demo data", total=recruiters)
        try:
            report = _run(lambda: seed_with_cache(lambda n: progress.advance(task, n)))
        except SeedFailed as exc:
            console.print(f"[red]demo data refused, nothing stored:[/red] {exc}")
            raise typer.Exit(1) from exc
    console.print(
        f"demo data: +{report.cities} cities, +{report.recruiters} recruiters, "
        f"+{report.slots} slots, +{report.templates} templates"
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Run the HTTP API (uvicorn). With no tokens configured, a random admin token is made and
    printed once."""
    import os
    import secrets

    import uvicorn

    from slotwise.settings import get_settings, reset_settings

    settings = get_settings()
    if not settings.slotwise_admin_tokens and not settings.slotwise_bot_tokens:
        token = secrets.token_urlsafe(32)
        # Through the environment, so every worker process accepts the same token.
        os.environ["SLOTWISE_ADMIN_TOKENS"] = token
        reset_settings()
        # Plain lines (no wrapping or markup), so scripts can pick the token up.
        typer.echo("no SLOTWISE_ADMIN_TOKENS / SLOTWISE_BOT_TOKENS set; admin token for this run:")
        typer.echo(f"SLOTWISE_ADMIN_TOKEN={token}")
    # Several workers share one Prometheus metrics directory, so /metrics sums them all.
    from slotwise.observability.multiprocess import setup_multiprocess

    setup_multiprocess(workers)
    uvicorn.run(
        "slotwise.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        # The app writes its own, buffered access log (api.access_log) when INFO passes.
        access_log=False,
    )


@app.command("perf-summary")
def perf_summary(
    url: Annotated[str, typer.Option(help="Base URL of the running server.")] = (
        "http://127.0.0.1:8000"
    ),
    token: Annotated[
        str | None,
        typer.Option(
            envvar="SLOTWISE_TOKEN",
            show_default=False,
            help="Admin bearer token (default: the first of SLOTWISE_ADMIN_TOKENS).",
        ),
    ] = None,
) -> None:
    """Print the performance summary of a running server (the worker that answers)."""
    from slotwise.perf_summary import SummaryError, fetch_summary, render_summary
    from slotwise.settings import get_settings

    admin_tokens = get_settings().slotwise_admin_tokens
    token = token or (admin_tokens[0].get_secret_value() if admin_tokens else None)
    if not token:
        raise typer.BadParameter("no token: pass --token or set SLOTWISE_ADMIN_TOKENS")
    try:
        summary = fetch_summary(url, token)
    except SummaryError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    render_summary(summary, console)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
