"""The ``slotwise`` command: database, demo data, the server and the tools around it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress

from slotwise.core import db
from slotwise.core.migrate import downgrade as run_downgrade
from slotwise.core.migrate import upgrade as run_upgrade

T = TypeVar("T")

app = typer.Typer(
    help="slotwise: interview-slot booking backend (API server, database, demo data, tools).",
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
    from slotwise.services.demo import seed_demo

    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("seeding demo data", total=recruiters)
        report = _run(
            lambda: seed_demo(
                recruiters=recruiters,
                days=days,
                progress=lambda n: progress.advance(task, n),
            )
        )
    console.print(
        f"demo data: +{report.cities} cities, +{report.recruiters} recruiters, "
        f"+{report.slots} slots, +{report.templates} templates"
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
