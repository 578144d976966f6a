"""The async engine and session factory, built once per process from settings.

SQLite (aiosqlite) and PostgreSQL (asyncpg) are both first-class. On SQLite every connection
gets WAL, foreign keys and a busy timeout, and write transactions begin IMMEDIATE so that two
writers never both read-then-write past each other. On PostgreSQL the pool settings apply.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from slotwise.queries.counter import install_query_recorder
from slotwise.settings import Settings, get_settings

_engine: AsyncEngine | None = None
_session_factory: async_sessionmaker[AsyncSession] | None = None

# Execution option read by the SQLite "begin" hook: how a transaction starts.
SQLITE_BEGIN = "slotwise_sqlite_begin"
# Execution option read by the unit of work when a write transaction begins on PostgreSQL:
# its ``lock_timeout`` in milliseconds (``SLOTWISE_LOCK_TIMEOUT_MS``).
LOCK_TIMEOUT_MS = "slotwise_lock_timeout_ms"


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own transaction handling is switched off so that BEGIN is ours.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


def build_engine(settings: Settings | None = None, **overrides: Any) -> AsyncEngine:
    """An engine for ``settings.database_url`` with the pool settings applied."""
    settings = settings or get_settings()
    url = make_url(settings.database_url)
    kwargs: dict[str, Any] = {"echo": settings.db_echo, "pool_pre_ping": False}
    if url.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": 10}
    else:
        kwargs.update(
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout,
            pool_recycle=1800,
            pool_pre_ping=True,
            # asyncpg's statement cache plus a short connect timeout: an unreachable database
            # turns into an error (and a 503) within seconds, not a hung request.
            connect_args={"timeout": 5, "command_timeout": 30},
        )
        kwargs["execution_options"] = {LOCK_TIMEOUT_MS: settings.slotwise_lock_timeout_ms}
    kwargs.update(overrides)
    engine = create_async_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    # Statement counting for the N+1 detector (a no-op unless a request/test scope is open).
    install_query_recorder(engine)
    return engine


def build_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: entities stay readable after commit (the API serialises them).
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def get_engine() -> AsyncEngine:
    global _engine
    if _engine is None:
        _engine = build_engine()
    return _engine


def get_session_factory() -> async_sessionmaker[AsyncSession]:
    global _session_factory
    if _session_factory is None:
        _session_factory = build_session_factory(get_engine())
    return _session_factory


def set_engine(engine: AsyncEngine | None) -> None:
    """Install an engine as the process default (tests, CLI); None forgets it."""
    global _engine, _session_factory
    _engine = engine
    _session_factory = build_session_factory(engine) if engine is not None else None


async def dispose_engine() -> None:
    global _engine, _session_factory
    if _engine is not None:
        await _engine.dispose()
    _engine = None
    _session_factory = None


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def make_url_safe(url: str) -> str:
    """``url`` with any password hidden, for logs and messages."""
    return make_url(url).render_as_string(hide_password=True)
