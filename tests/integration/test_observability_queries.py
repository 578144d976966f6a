"""The engine's events time every statement; slow ones are logged by shape, never values."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from slotwise.observability.metrics import MetricsCollector
from slotwise.observability.pool_usage import engine_pool_probe
from slotwise.observability.query_timing import instrument_engine, query_name, uninstrument_engine


async def test_every_statement_is_timed_and_slow_ones_logged_without_values(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    metrics = MetricsCollector(slow_query_threshold_ms=0.0)  # everything counts as slow
    instrument_engine(engine, metrics)
    instrument_engine(engine, metrics)  # idempotent: still one listener
    try:
        with caplog.at_level(logging.WARNING, logger="slotwise.db.slow"):
            async with engine.begin() as conn:
                await conn.execute(
                    text("SELECT count(*) FROM cities WHERE name = :name"),
                    {"name": "secret-value-123"},
                )
                await conn.execute(text("SELECT 1 FROM recruiters WHERE id = 42"))
    finally:
        uninstrument_engine(engine)
    assert metrics.queries_total == 2  # BEGIN/COMMIT are not queries
    assert metrics.slow_queries == 2
    names = {q["name"] for q in metrics.get_summary()["queries"]["top"]}
    assert names == {"SELECT cities", "SELECT recruiters"}
    slow = [r for r in caplog.records if r.getMessage() == "slow query"]
    assert len(slow) == 2
    statements = [getattr(r, "statement", "") for r in slow]
    assert any("FROM cities WHERE name = ?" in s for s in statements), statements
    assert any("id = ?" in s for s in statements), statements
    assert "secret-value-123" not in caplog.text and "42" not in " ".join(statements)


async def test_uninstrumented_engine_records_nothing(engine: AsyncEngine) -> None:
    metrics = MetricsCollector(slow_query_threshold_ms=100.0)
    instrument_engine(engine, metrics)
    uninstrument_engine(engine)
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    assert metrics.queries_total == 0


async def test_db_pool_probe_counts_checked_out_connections(engine: AsyncEngine) -> None:
    probe = engine_pool_probe(engine)
    idle = probe()
    if idle is None:
        pytest.fail(f"no usage for pool {type(engine.sync_engine.pool).__name__}")
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        busy = probe()
        assert busy is not None and busy.in_use == idle.in_use + 1
    assert busy.capacity >= 1


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT slots.id FROM slots JOIN recruiters ON 1=1", ("SELECT slots", "SELECT")),
        ("INSERT INTO cities (name) VALUES ($1)", ("INSERT cities", "INSERT")),
        ('UPDATE "slots" SET status=? WHERE id=?', ("UPDATE slots", "UPDATE")),
        ("DELETE FROM templates WHERE id = %(id)s", ("DELETE templates", "DELETE")),
        ("SAVEPOINT sa_savepoint_1", ("SAVEPOINT", "SAVEPOINT")),
    ],
)
def test_query_names(sql: str, expected: tuple[str, str]) -> None:
    assert query_name(sql) == expected
