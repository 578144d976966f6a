"""The ``slotwise`` command: ``db upgrade``, ``db downgrade``, ``seed --demo``, ``--help``.

Run in-process with typer's CliRunner against a SQLite file of their own (the CLI opens and
disposes of its own engine, in its own event loop), so the shared test database is untouched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from slotwise.cli import app
from slotwise.domain.models import SlotStatus
from slotwise.persistence import db
from slotwise.persistence.schema import tables as schema
from slotwise.repositories import UnitOfWork
from slotwise.settings import Settings, reset_settings
from tests.conftest import TEST_DATABASE_URL, truncate_all

from .foundation_data import ok

T = TypeVar("T")
runner = CliRunner()


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """DATABASE_URL for the CLI: a fresh SQLite file, or on CI's second pass the PostgreSQL
    test database itself (emptied afterwards; a downgrade test leaves it at head again)."""
    url = TEST_DATABASE_URL or f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    saved = db._engine
    with monkeypatch.context() as env:
        env.setenv("DATABASE_URL", url)
        reset_settings()
        db.set_engine(None)
        try:
            yield url
        finally:
            if TEST_DATABASE_URL:
                run("db", "upgrade")  # the CLI's own engine, in its own loop
                query(url, truncate_all)
            db.set_engine(saved)
    reset_settings()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def query(url: str, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    """Look at the CLI's database with an engine (and event loop) of the test's own."""

    async def main() -> T:
        engine = db.build_engine(Settings(database_url=url))
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(main())


async def counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        return {
            table.name: int(
                (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            )
            for table in (schema.cities, schema.recruiters, schema.slots, schema.templates)
        }


def test_help_lists_the_commands() -> None:
    output = run("--help")
    for command in ("db", "seed", "serve", "perf-summary"):
        assert command in output
    # The benchmark is not part of the product: `python3 dev.py bench` (tests/unit/test_bench_cli).
    assert runner.invoke(app, ["bench", "--help"]).exit_code != 0
    db_help = run("db", "--help")
    assert "upgrade" in db_help and "downgrade" in db_help
    assert "--demo" in run("seed", "--help")


def test_seed_without_demo_is_refused(cli_db: str) -> None:
    result = runner.invoke(app, ["seed"])
    assert result.exit_code != 0
    assert "--demo" in result.output


def test_upgrade_creates_the_schema(cli_db: str) -> None:
    assert "head" in run("db", "upgrade")

    async def tables(engine: AsyncEngine) -> set[str]:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))

    assert {"cities", "recruiters", "recruiter_cities", "slots", "templates", "users"} <= query(
        cli_db, tables
    )
    run("db", "upgrade")  # a second upgrade is a no-op


def test_downgrade_to_base_drops_everything_and_upgrade_brings_it_back(cli_db: str) -> None:
    run("db", "upgrade")
    run("db", "downgrade", "base")

    async def tables(engine: AsyncEngine) -> set[str]:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))

    # Only the bookkeeping table is left (on PostgreSQL, btree_gist stays installed).
    assert query(cli_db, tables) <= {"alembic_version"}
    run("db", "upgrade")
    assert "slots" in query(cli_db, tables)


def test_seed_demo_creates_a_realistic_data_set_once(cli_db: str) -> None:
    run("db", "upgrade")
    output = run("seed", "--demo")
    assert "+6 cities" in output and "+20 recruiters" in output
    first = query(cli_db, counts)
    assert first["cities"] == 6
    assert first["recruiters"] == 20
    assert 2_000 <= first["slots"] <= 3_000
    assert first["templates"] >= 5

    # Idempotent: the second run adds nothing.
    again = run("seed", "--demo")
    assert "+0 cities, +0 recruiters, +0 slots, +0 templates" in again
    assert query(cli_db, counts) == first
    query(cli_db, looks_like_a_recruiting_team)


async def looks_like_a_recruiting_team(engine: AsyncEngine) -> None:
    factory = db.build_session_factory(engine)
    async with UnitOfWork(factory) as uow:
        cities = ok(await uow.cities.get_active())
        assert len({c.timezone for c in cities}) == 6
        # Templates: every city sees every global key, some cities their own text.
        globals_ = ok(await uow.templates.get_for_city(None))
        assert len(globals_) >= 3
        overridden = 0
        for c in cities:
            seen = ok(await uow.templates.get_for_city(c.id))
            assert {t.key for t in seen} >= {t.key for t in globals_}
            overridden += sum(t.city_id == c.id for t in seen)
        assert overridden >= 1
        # Recruiters work in cities, some in more than one; a few are inactive.
        recruiters = ok(await uow.recruiters.get_all(limit=100))
        assert all(r.cities for r in recruiters)
        assert any(len(r.cities) > 1 for r in recruiters)
        assert 0 < len(ok(await uow.recruiters.get_active())) < len(recruiters)
        # Slots in the future, in several states, never overlapping (the DB enforced it).
        rows = await uow.session.execute(text("SELECT DISTINCT status FROM slots"))
        statuses = {SlotStatus(s) for s in rows.scalars().all()}
        assert {SlotStatus.FREE, SlotStatus.PENDING, SlotStatus.BOOKED} <= statuses
        busy = recruiters[0]
        free = ok(await uow.slots.get_free_for_recruiter(busy.id, datetime.now(UTC)))
        assert len(free) > 50
