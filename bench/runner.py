"""The benchmark run: set up its database and Redis namespace, seed, run each scenario with a
progress display, write the outputs, clean up.

A scenario that fails is recorded (and makes the run's exit status non-zero) without
stopping the others; one whose prerequisite is missing (no Redis, a module another piece
of slotwise has not shipped yet) is recorded as skipped, with the reason.
"""

from __future__ import annotations

import os
import secrets
import time
import traceback
from collections.abc import Iterator, Sequence
from contextlib import AsyncExitStack, contextmanager
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from bench import environment, report
from bench.context import BenchContext, BenchOptions, ScenarioSpec, Skip, Tick
from bench.seed import prepare
from slotwise.persistence import db
from slotwise.settings import get_settings, reset_settings


@contextmanager
def _environment(values: dict[str, str | None]) -> Iterator[None]:
    """Set environment variables (None removes one) for the run, restore them afterwards."""
    saved = {k: os.environ.get(k) for k in values}
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    reset_settings()
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
        reset_settings()


def _ticker(progress: Progress, task: TaskID) -> Tick:
    def tick() -> None:
        progress.advance(task)

    return tick


async def run_bench(
    options: BenchOptions, scenarios: Sequence[ScenarioSpec], console: Console | None = None
) -> dict[str, Any]:
    """Run ``scenarios`` (those ``options.only`` names, in their order); returns everything
    ``results.json`` holds (and writes the outputs)."""
    console = console or Console()
    mode = options.chosen_mode
    out = options.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    database = await environment.create_database(options.database_url)
    redis = (
        environment.BenchRedis(None)
        if options.no_redis
        else await environment.choose_redis(options.redis_url)
    )
    results: dict[str, Any] = {}
    status: dict[str, str] = {}
    env: dict[str, str | None] = {
        "DATABASE_URL": database.url,
        "REDIS_URL": redis.url,
        "CACHE_ENABLED": "true" if redis.url else "false",
        "CACHE_KEY_PREFIX": redis.prefix,
    }
    console.print(
        f"[bold]slotwise benchmark[/bold] ({mode.name}): database {db.make_url_safe(database.url)}"
        f"{' (created for this run)' if database.created else ''}, "
        f"Redis {redis.url or 'none'} (keys under {redis.prefix!r})"
    )
    try:
        with _environment(env):
            engine = db.build_engine(get_settings())
            previous = db._engine  # restored afterwards: a caller (a test) may have its own
            try:
                async with AsyncExitStack() as stack:
                    with console.status("migrating and seeding the database"):
                        dataset = await prepare(
                            engine, recruiters=mode.recruiters, days=mode.days, reuse=False
                        )
                    machine = await environment.describe_machine(engine, redis.url)
                    ctx = BenchContext(
                        options, mode, engine, dataset, database, redis,
                        token=f"bench-{secrets.token_hex(12)}", stack=stack, out=out,
                    )  # fmt: skip
                    await _run_scenarios(ctx, scenarios, console, results, status)
            finally:
                db.set_engine(previous)
                await engine.dispose()
    finally:
        await environment.drop_database(database)
        if redis.url:
            await environment.delete_prefixed(redis.url, redis.prefix)
    document = {
        "meta": {
            "mode": mode.name,
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "duration_s": round(time.perf_counter() - started, 1),
            "machine": machine,
            "database": database.kind,
            "redis": bool(redis.url),
            "dataset": {
                "recruiters": dataset.recruiters,
                "slots": dataset.slots,
                "free_future_slots": len(dataset.free_slot_ids),
            },
            "status": status,
        },
        "scenarios": results,
    }
    report.write_all(document, out)
    return document


async def _run_scenarios(
    ctx: BenchContext,
    scenarios: Sequence[ScenarioSpec],
    console: Console,
    results: dict[str, Any],
    status: dict[str, str],
) -> None:
    chosen = [s for s in scenarios if ctx.options.only is None or s.key in ctx.options.only]
    columns = (
        TextColumn("{task.description:<46}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        tasks = {s.key: progress.add_task(s.title, total=max(1, s.steps(ctx.mode))) for s in chosen}
        for spec in chosen:
            task = tasks[spec.key]
            tick = _ticker(progress, task)
            try:
                results[spec.key] = await spec.run(ctx, tick)
                status[spec.key] = "ok"
            except Skip as exc:
                results[spec.key] = {"skipped": str(exc)}
                status[spec.key] = "skipped"
                progress.update(task, description=f"{spec.title} [yellow](skipped)")
            except Exception as exc:  # recorded, reported, and fails the run
                results[spec.key] = {"error": f"{type(exc).__name__}: {exc}"}
                status[spec.key] = "failed"
                progress.update(task, description=f"{spec.title} [red](failed)")
                console.print(f"[red]{spec.key} failed[/red]\n{traceback.format_exc()}")
            progress.update(task, completed=progress.tasks[task].total)


__all__ = ["run_bench"]
