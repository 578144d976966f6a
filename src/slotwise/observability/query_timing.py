"""Every SQL statement timed by the engine's own events, so no query escapes the metrics.

``instrument_engine(engine)`` listens to ``before/after_cursor_execute``: each statement is
recorded as ``"<KIND> <table>"`` (``"SELECT slots"``) with its duration, and one slower than
``SLOW_QUERY_THRESHOLD_MS`` is logged with its *shape* (literals and placeholders as ``?``),
never its parameter values. Transaction control (BEGIN, SAVEPOINT, ...) is not a query.
"""

from __future__ import annotations

import logging
import re
import time
import weakref
from functools import lru_cache
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from slotwise.observability.metrics import MetricsCollector, get_metrics
from slotwise.queries.counter import normalize_statement, statement_kind, sync_engine_of

log = logging.getLogger("slotwise.db.slow")

_T0 = "_slotwise_t0"
_CONTROL = frozenset({"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA", "SET"})
_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE|JOIN)\s+"?([A-Za-z_][\w.]*)"?', re.IGNORECASE)
_instrumented: weakref.WeakKeyDictionary[Engine, MetricsCollector | None] = (
    weakref.WeakKeyDictionary()
)


@lru_cache(maxsize=2048)
def query_name(statement: str) -> tuple[str, str]:
    """(name, kind) of a statement: ``("SELECT slots", "SELECT")``. Cached: SQLAlchemy
    reuses the same compiled strings, so this costs a dict lookup after the first time."""
    kind = statement_kind(statement.lstrip())
    match = _TABLE.search(statement)
    return (f"{kind} {match.group(1)}" if match else kind), kind


def instrument_engine(
    engine: AsyncEngine | Engine, metrics: MetricsCollector | None = None
) -> None:
    """Time every statement of ``engine`` into ``metrics`` (default: the process's). Idempotent."""
    sync = sync_engine_of(engine)
    if sync in _instrumented:
        return
    _instrumented[sync] = metrics
    event.listen(sync, "before_cursor_execute", _before)
    event.listen(sync, "after_cursor_execute", _after)


def uninstrument_engine(engine: AsyncEngine | Engine) -> None:
    sync = sync_engine_of(engine)
    if _instrumented.pop(sync, False) is not False:
        event.remove(sync, "before_cursor_execute", _before)
        event.remove(sync, "after_cursor_execute", _after)


def _before(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    if context is not None:
        setattr(context, _T0, time.perf_counter())


def _after(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    started = getattr(context, _T0, None)
    if started is None:
        return
    ms = (time.perf_counter() - started) * 1000.0
    name, kind = query_name(statement)
    if kind in _CONTROL:
        return
    metrics = _instrumented.get(conn.engine) or get_metrics()
    if metrics.record_query(name, ms, operation=kind):
        log.warning(
            "slow query",
            extra={"query": name, "duration_ms": round(ms, 2), "statement": _shape(statement)},
        )


def _shape(statement: str) -> str:
    """The statement with literals removed, cut to a readable length."""
    shape = normalize_statement(statement)
    return shape if len(shape) <= 1000 else shape[:1000] + " ..."
