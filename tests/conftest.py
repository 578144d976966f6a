"""Shared test set-up: one database and one Redis per run, chosen by the environment.

* Embedded default (the README's ``python3 dev.py test``): a SQLite file in a temp folder and
  fakeredis. Tests marked ``real_services`` (locking, pooling, outages, several processes)
  are deselected: they mean nothing on SQLite/fakeredis.
* CI's second run (``.ci/run``): ``SLOTWISE_TEST_DATABASE_URL`` points at a fresh PostgreSQL
  database and ``SLOTWISE_TEST_REDIS_URL`` at a real Redis. If either cannot be reached the
  run stops with an error; it never quietly skips.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

TEST_DATABASE_URL = os.environ.get("SLOTWISE_TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("SLOTWISE_TEST_REDIS_URL", "")
REAL_SERVICES = bool(TEST_DATABASE_URL and TEST_REDIS_URL)

_TMP = Path(tempfile.mkdtemp(prefix="slotwise-tests-"))
DATABASE_URL = TEST_DATABASE_URL or f"sqlite+aiosqlite:///{_TMP / 'test.db'}"

# Settings are read from the environment: make the application see the test services, and
# nothing from a developer's .env or shell.
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["CACHE_ENABLED"] = "true"
if TEST_REDIS_URL:
    os.environ["REDIS_URL"] = TEST_REDIS_URL
else:
    os.environ.pop("REDIS_URL", None)
os.environ.setdefault("SLOTWISE_LOG_JSON", "false")
os.environ["SLOTWISE_ADMIN_TOKENS"] = "test-admin-token"
os.environ["SLOTWISE_BOT_TOKENS"] = "test-bot-token"

from slotwise.persistence import db  # noqa: E402  (after the environment is set)
from slotwise.persistence.migrate import upgrade  # noqa: E402
from slotwise.repositories import UnitOfWork  # noqa: E402
from slotwise.settings import get_settings, reset_settings  # noqa: E402
from tests.plugins.cache import cache, reset_app_cache, use_test_redis  # noqa: E402, F401
from tests.plugins.queries import assert_max_queries, count_queries  # noqa: E402, F401

use_test_redis()  # fakeredis unless SLOTWISE_TEST_REDIS_URL is set (never a local Redis)

reset_settings()

TABLES = (
    "slot_events",
    "slots",
    "recruiter_cities",
    "templates",
    "users",
    "cities",
    "recruiters",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if REAL_SERVICES:
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        (drop if item.get_closest_marker("real_services") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the run's temp folder (the SQLite file the servers the tests start share): this
    hook runs after every fixture's teardown, so no subprocess still has the file open."""
    shutil.rmtree(_TMP, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> str:
    mode = "real PostgreSQL + Redis" if REAL_SERVICES else "embedded SQLite + fakeredis"
    return f"slotwise test services: {mode} ({db.make_url_safe(DATABASE_URL)})"


@pytest.fixture(scope="session")
async def _engine() -> AsyncIterator[AsyncEngine]:
    engine = db.build_engine(get_settings())
    try:
        async with engine.connect() as conn:
            await conn.execute(text("select 1"))
    except Exception as exc:  # pragma: no cover - only when CI's services are missing
        pytest.exit(f"cannot reach the test database {db.make_url_safe(DATABASE_URL)}: {exc}", 3)
    await upgrade(engine)
    db.set_engine(engine)
    yield engine
    db.set_engine(None)
    await engine.dispose()


async def truncate_all(engine: AsyncEngine) -> None:
    """Empty every table and restart the ids at 1.

    DELETE, not TRUNCATE, on PostgreSQL too: for a test's handful of rows it is ~20x faster
    (TRUNCATE swaps the files of every table and index), which is seconds per suite pass.
    """
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE cities SET responsible_recruiter_id = NULL"))
        for table in TABLES:
            await conn.execute(text(f"DELETE FROM {table}"))
        if engine.dialect.name == "postgresql":
            restart = ", ".join(
                f"setval(pg_get_serial_sequence('{table}', 'id'), 1, false)"
                for table in TABLES
                if table != "recruiter_cities"
            )
            await conn.execute(text(f"SELECT {restart}"))


@pytest.fixture
async def engine(_engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """The test database, emptied after the test."""
    db.set_engine(_engine)
    yield _engine
    await truncate_all(_engine)
    await reset_app_cache()  # nothing cached from the rows just deleted survives


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return db.get_session_factory()


@pytest.fixture
def make_uow(session_factory: async_sessionmaker[AsyncSession]) -> Callable[[], UnitOfWork]:
    return lambda: UnitOfWork(session_factory)


@pytest.fixture
def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"
